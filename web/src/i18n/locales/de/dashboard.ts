import type { Translation } from '../../translation';
import type en from '../en/dashboard';

export default {
} satisfies Translation<typeof en>;
