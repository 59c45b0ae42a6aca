import { describe, expect, it } from 'vitest';
import { eventSplitter } from './passthrough.forward';

const text = (buffer: Buffer | undefined) => buffer?.toString('utf8');

describe('eventSplitter', () => {
  it('passes whole events on as they complete, holding back the start of the next', () => {
    const events = eventSplitter(100);
    expect(text(events.push(Buffer.from('event: message\ndata: {"a"')))).toBeUndefined();
    expect(text(events.push(Buffer.from(':1}\n\ndata: {"b":2}\n\nda')))).toBe('event: message\ndata: {"a":1}\n\ndata: {"b":2}\n\n');
    expect(text(events.push(Buffer.from('ta: 3\r\n\r\n')))).toBe('data: 3\r\n\r\n');
    expect(text(events.rest())).toBe('');
  });

  it('ends events at any line end the event-stream format allows: LF, CRLF, CR', () => {
    const events = eventSplitter(100);
    expect(text(events.push(Buffer.from('data: 1\r\rdata: 2\r\n\r\ndata: 3\n\r\n')))).toBe('data: 1\r\rdata: 2\r\n\r\ndata: 3\n\r\n');
    expect(text(events.push(Buffer.from('data: 4\r')))).toBeUndefined();
    expect(text(events.push(Buffer.from('\r')))).toBe('data: 4\r\r');
    expect(text(events.push(Buffer.from('\ndata: 5\n\n')))).toBe('\ndata: 5\n\n');
  });

  it('counts each event apart: many small events pass, one too large fails', () => {
    const events = eventSplitter(20);
    for (let i = 0; i < 10; i += 1) expect(events.push(Buffer.from('data: 0123456789\n\n'))).toBeDefined();
    expect(() => events.push(Buffer.from(`data: ${'x'.repeat(30)}`))).toThrow('an event larger than 20 bytes');
  });

  it('keeps what the upstream never finished for the end', () => {
    const events = eventSplitter(100);
    events.push(Buffer.from('data: 1\n\ndata: half'));
    expect(text(events.rest())).toBe('data: half');
  });
});
