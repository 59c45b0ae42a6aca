import type { Translation } from '../../translation';
import type en from '../en/signin';

export default {
} satisfies Translation<typeof en>;
