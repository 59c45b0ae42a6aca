import type { Translation } from '../../translation';
import type en from '../en/apikeys';

export default {
} satisfies Translation<typeof en>;
