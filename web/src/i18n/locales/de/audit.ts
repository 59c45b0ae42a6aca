import type { Translation } from '../../translation';
import type en from '../en/audit';

export default {
} satisfies Translation<typeof en>;
