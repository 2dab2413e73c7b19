import { parse, specifiedRules, validate, buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { findUnsafeInput, isSafeText, MAX_INPUT_DEPTH, SafeStringLiteralsRule, unsafeInputMessage } from './input-hygiene.js';

describe('isSafeText', () => {
  it('accepts well-formed text, astral characters and Chinese included, and refuses lone surrogates and NUL', () => {
    expect(['', 'plain', '急诊昏迷', '😀 pair', 'tab\tand\nnewline'].map(isSafeText)).toEqual([true, true, true, true, true]);
    expect(['\ud800', 'a\udc00', '\udc00\ud800', 'a\u0000b'].map(isSafeText)).toEqual([false, false, false, false]);
  });
});

describe('findUnsafeInput', () => {
  it('names the first unsafe place in document order, keys included, and never the value', () => {
    const cases: Array<[unknown, string | undefined]> = [
      [{ query: '{ a }', variables: { v: 'ok', list: [{ deep: { x: 'fine' } }] } }, undefined],
      [{ query: '{ a }\u0000' }, 'query'],
      [{ variables: { input: { items: [{ name: 'ok' }, { name: '\ud800' }] } } }, 'variables.input.items[1].name'],
      [{ variables: { ['\u0000']: 1 } }, 'a key in variables'],
      [{ ['\ud800']: 1 }, 'a key in the request body'],
      [[{ query: '{ a }' }, { operationName: 'x\u0000' }], '[1].operationName'],
      [{ extensions: { a: '\u0000', b: '\ud800' } }, 'extensions.a'],
      ['raw \u0000 text', 'the request body'],
    ];
    expect(cases.length).toBeGreaterThan(0);
    for (const [input, where] of cases) expect(findUnsafeInput(input)?.where, JSON.stringify(where)).toBe(where);
    const message = unsafeInputMessage(findUnsafeInput({ variables: { card: '11010519491231002X\u0000' } })!);
    expect(message).toContain('variables.card');
    expect(message).not.toContain('11010519491231002X');
  });

  it(`refuses nesting deeper than ${MAX_INPUT_DEPTH} levels without exhausting the stack`, () => {
    let deep: unknown = 'leaf';
    for (let level = 0; level < 100_000; level++) deep = [deep];
    expect(findUnsafeInput({ variables: { v: deep } })).toEqual({ where: expect.stringMatching(/^variables\.v(\[0\])+$/), problem: 'depth' });
    let fine: unknown = 'leaf';
    for (let level = 0; level < MAX_INPUT_DEPTH - 3; level++) fine = { next: fine };
    expect(findUnsafeInput({ variables: { v: fine } })).toBeUndefined();
  });
});

describe('SafeStringLiteralsRule', () => {
  const schema = buildSchema('input I { reason: String } type Query { find(id: String, input: I): String }');
  const errors = (source: string) => validate(schema, parse(source), [...specifiedRules, SafeStringLiteralsRule]);

  it('refuses a literal whose escape decodes to NUL with BAD_USER_INPUT, naming the argument or input field', () => {
    const [argument] = errors('{ find(id: "a\\u0000") }');
    expect([argument?.message, argument?.extensions['code']]).toEqual(['The argument "id" is not well-formed text: it has NUL (U+0000).', 'BAD_USER_INPUT']);
    const [field] = errors('{ find(input: { reason: "x\\u0000" }) }');
    expect(field?.message).toBe('The input field "reason" is not well-formed text: it has NUL (U+0000).');
    expect(errors('{ find(id: "急诊 \\u00e9 \\ud83d\\ude00", input: { reason: """block \\u0000 is not an escape""" }) }')).toEqual([]);
  });
});
