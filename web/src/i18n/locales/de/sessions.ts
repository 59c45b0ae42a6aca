import type { Translation } from '../../translation';
import type en from '../en/sessions';

export default {
} satisfies Translation<typeof en>;
