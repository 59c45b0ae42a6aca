import type { Translation } from '../../translation';
import type en from '../en/members';

export default {
} satisfies Translation<typeof en>;
