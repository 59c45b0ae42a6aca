import { describe, expect, it } from 'vitest';
import { readMessages } from './passthrough.service';

describe('readMessages', () => {
  it('passes on the very message it checked: a method given twice goes out once, as judged', () => {
    const sent = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},"method":"ping"}');
    const read = readMessages(sent)!;
    expect(read.methods).toEqual(['ping']);
    expect(JSON.parse(read.checked.toString())).toEqual({ jsonrpc: '2.0', id: 1, method: 'ping', params: { name: 'echo' } });
    expect(read.checked.toString().match(/"method"/g)).toHaveLength(1);
  });

  it('finds a call in a batch, and refuses what is not a message', () => {
    expect(readMessages(Buffer.from('[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"method":"tools/call"}]'))?.methods).toEqual([
      'notifications/initialized',
      'tools/call',
    ]);
    expect(readMessages(Buffer.from('[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}},{"jsonrpc":"2.0","id":2,"method":"tools/call"}]'))?.tools).toEqual([
      'echo',
      '',
    ]);
    expect(readMessages(Buffer.from('[[{"jsonrpc":"2.0","id":2,"method":"tools/call"}]]'))).toBeNull();
    expect(readMessages(Buffer.from('[]'))).toBeNull();
    expect(readMessages(Buffer.from('"tools/call"'))).toBeNull();
    expect(readMessages(Buffer.from('{"jsonrpc":'))).toBeUndefined();
  });
});
