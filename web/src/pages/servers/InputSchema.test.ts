import { describe, expect, it } from 'vitest';
import { typeText } from './InputSchema';

describe('typeText', () => {
  it('says a JSON Schema type in words', () => {
    expect(typeText({ type: 'string' })).toBe('string');
    expect(typeText({ type: 'string', format: 'uri' })).toBe('string (uri)');
    expect(typeText({ type: 'string', enum: ['Text', 'Blob'] })).toBe('one of "Text", "Blob"');
    expect(typeText({ type: 'array', items: { type: 'number' } })).toBe('array of number');
    expect(typeText({ anyOf: [{ type: 'string' }, { type: 'null' }] })).toBe('string or null');
    expect(typeText({ type: ['integer', 'null'] })).toBe('integer or null');
    expect(typeText({})).toBe('any value');
  });
});
