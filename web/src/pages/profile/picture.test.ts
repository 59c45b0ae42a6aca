import { describe, expect, it } from 'vitest';
import { AVATAR_MAX_BYTES } from '@mreg/shared';
import { HttpError } from '../../auth/http';
import { megabytes, PICTURE_ACCEPT, pictureProblem, uploadFailureText } from './picture';

describe('pictureProblem', () => {
  it('takes a PNG, JPEG or WebP within the limit', () => {
    for (const type of ['image/png', 'image/jpeg', 'image/webp']) expect(pictureProblem({ type, size: 1000 })).toBeNull();
    expect(pictureProblem({ type: 'image/png', size: AVATAR_MAX_BYTES })).toBeNull();
  });

  it('names the size and the limit, and one byte over never reads as the limit', () => {
    expect(pictureProblem({ type: 'image/jpeg', size: 2_411_725 })).toMatch(/^The picture is 2\.3 MB; the limit is 1 MB\./);
    expect(pictureProblem({ type: 'image/jpeg', size: AVATAR_MAX_BYTES + 20_000 })).toMatch(/^The picture is 1\.02 MB;/);
    expect(pictureProblem({ type: 'image/jpeg', size: AVATAR_MAX_BYTES + 1 })).toMatch(/^The picture is 1\.000001 MB;/);
  });

  it('names the types it takes', () => {
    expect(pictureProblem({ type: 'image/gif', size: 10 })).toBe("That file's type is image/gif; the picture must be PNG, JPEG or WebP.");
    expect(pictureProblem({ type: '', size: 10 })).toMatch(/^The browser cannot tell .*; the picture must be PNG, JPEG or WebP\.$/);
  });

  it('refuses an empty file', () => {
    expect(pictureProblem({ type: 'image/png', size: 0 })).toMatch(/empty/);
  });
});

describe('the rest', () => {
  it('formats, accepts and explains a bare 413', () => {
    expect(megabytes(AVATAR_MAX_BYTES)).toBe('1 MB');
    expect(PICTURE_ACCEPT).toBe('image/png,image/jpeg,image/webp');
    expect(uploadFailureText(new HttpError('The server answered 413', 413))).toMatch(/limit is 1 MB/);
    expect(uploadFailureText(new HttpError('Not an image', 415))).toBe('Not an image');
  });
});
