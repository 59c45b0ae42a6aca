import type { Translation } from '../../translation';
import type en from '../en/servers';

export default {
} satisfies Translation<typeof en>;
