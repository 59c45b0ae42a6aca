import type { Translation } from '../../translation';
import type en from '../en/preferences';

export default {
} satisfies Translation<typeof en>;
