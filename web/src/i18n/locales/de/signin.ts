import type { Translation } from '../../translation';
import type en from '../en/signin';

export default {
  checking: 'Es wird geprüft, ob Sie angemeldet sind…',
  title: 'Bei MREG anmelden',
  lead: 'Das MCP Registry Gateway: ein Ort für die MCP-Server Ihrer Organisation, mit der Anmeldung Ihres Unternehmens, Ihren Mandanten und dem, was Ihre Rolle Ihnen in jedem davon erlaubt.',
  ended: 'Ihre Sitzung wurde beendet. Melden Sie sich erneut an, um dorthin zurückzukehren, wo Sie waren.',
  toOpen: 'Melden Sie sich an, um <code>{{path}}</code> zu öffnen: MREG zeigt diese Seite nur angemeldeten Personen. Danach werden Sie dorthin weitergeleitet.',
  consent:
    'Ein MCP-Client möchte sich in Ihrem Namen mit MREG verbinden. Melden Sie sich zuerst an; dann sehen Sie, was er verlangt, und können ihn freigeben oder ablehnen.',
  signedOut: 'Sie haben sich abgemeldet.',
  invitation:
    'Sie wurden eingeladen, einem Mandanten in MREG beizutreten. Melden Sie sich mit der E-Mail-Adresse an, an die die Einladung ging; dann sehen Sie, wer Sie eingeladen hat und in welcher Rolle, und können annehmen oder ablehnen.',
  unreachable: 'Der Server ist nicht erreichbar',
  signIn: 'Anmelden',
  signInMicrosoft: 'Mit Microsoft anmelden',
  devNote:
    'Dieser Server verwendet seinen eingebauten <strong>Entwicklungs-Anmeldedienst</strong>, weil Microsoft Entra ID nicht eingerichtet ist. Sie wählen eine der Demo-Personen (Ada, Uma oder Vic) oder geben eine beliebige andere E-Mail-Adresse an, um sich als neue Person anzumelden; nichts wird geprüft. Verwenden Sie diesen Modus nie für echte Personen.',
} satisfies Translation<typeof en>;
