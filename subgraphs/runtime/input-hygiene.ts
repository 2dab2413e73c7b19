/**
 * Input hygiene at the edge: every string a client sends must be well-formed Unicode without NUL.
 * A lone surrogate is stored by PostgreSQL as U+FFFD, so a hash over the JavaScript string (the audit
 * chain's) no longer matches the stored row; a NUL cannot be stored in `text` at all. Both are
 * refused before any work, for the gateway and every subgraph alike (http.ts checks the parsed body
 * and query parameters; the validation rule checks string literals, whose escapes only the GraphQL
 * lexer decodes). Messages say where, never what: the value is not echoed.
 */
import { GraphQLError, Kind, type ASTNode, type ASTVisitor, type ValidationContext } from 'graphql';
import { ERROR_CODES } from '../../schema/errors.js';

/** A lone surrogate (`\p{Cs}` matches only unpaired ones in a `u` regex) or NUL. */
const UNSAFE_TEXT = /[\p{Cs}\u0000]/u;

/** Deeper JSON than this is refused: no legitimate variable nests so far, and it costs every walker. */
export const MAX_INPUT_DEPTH = 64;

/** True when the text is well-formed Unicode and has no NUL. */
export function isSafeText(text: string): boolean {
  return !UNSAFE_TEXT.test(text);
}

export interface UnsafeInput {
  /** Where, as a path into the request (`variables.input.items[2].name`, `a key in variables`). */
  where: string;
  problem: 'text' | 'depth';
}

/**
 * The first string or object key in a parsed request (JSON body, or query parameters as an object)
 * that is not safe text, or the first place nested deeper than MAX_INPUT_DEPTH; `undefined` when clean.
 * Iterative, so a hostile nesting depth cannot exhaust the stack.
 */
export function findUnsafeInput(request: unknown): UnsafeInput | undefined {
  // The usual case, a clean request, is confirmed without building a path for every value (a feed
  // batch has tens of thousands); only a request that is not clean is walked again to say where.
  return isCleanInput(request) ? undefined : locateUnsafeInput(request);
}

/** True when every string and key is safe text and nothing nests deeper than MAX_INPUT_DEPTH (iterative, as below). */
function isCleanInput(request: unknown): boolean {
  const values: unknown[] = [request];
  const depths: number[] = [0];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (typeof value === 'string') {
      if (!isSafeText(value)) return false;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) return false;
    if (Array.isArray(value)) {
      for (const item of value) {
        values.push(item);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (!isSafeText(key)) return false;
      values.push((value as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
  return true;
}

/** The first problem of a request that is not clean, in document order, with its path. */
function locateUnsafeInput(request: unknown): UnsafeInput | undefined {
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value: request, path: '', depth: 0 }];
  while (pending.length > 0) {
    const { value, path, depth } = pending.pop()!;
    if (typeof value === 'string') {
      if (!isSafeText(value)) return { where: path || 'the request body', problem: 'text' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) return { where: path || 'the request body', problem: 'depth' };
    const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((item, index) => [`[${index}]`, item]) : Object.entries(value);
    // Reversed onto the stack, so the first problem in document order is the one reported.
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, child] = entries[index]!;
      if (!Array.isArray(value) && !isSafeText(key)) return { where: `a key in ${path || 'the request body'}`, problem: 'text' };
      pending.push({ value: child, path: key.startsWith('[') ? `${path}${key}` : path ? `${path}.${segment(key)}` : segment(key), depth: depth + 1 });
    }
  }
  return undefined;
}

/** The client-facing refusal of an unsafe input: BAD_USER_INPUT, naming the place. */
export function unsafeInputMessage({ where, problem }: UnsafeInput): string {
  return problem === 'depth'
    ? `${where} is nested deeper than ${MAX_INPUT_DEPTH} levels.`
    : `${where} is not well-formed text: it has a lone surrogate or NUL (U+0000). Send well-formed UTF-8 without NUL.`;
}

/**
 * Validation rule: a string literal whose escapes decode to NUL (`"\u0000"`) is refused with
 * BAD_USER_INPUT (the lexer already refuses escaped lone surrogates). The formatter keeps the code.
 */
export function SafeStringLiteralsRule(context: ValidationContext): ASTVisitor {
  return {
    StringValue(node, _key, parent, _path, ancestors) {
      if (isSafeText(node.value)) return;
      context.reportError(
        new GraphQLError(`${literalPlace([...ancestors, ...(parent ? [parent] : [])])} is not well-formed text: it has NUL (U+0000).`, {
          nodes: node,
          extensions: { code: ERROR_CODES.BAD_USER_INPUT },
        }),
      );
    },
  };
}

function literalPlace(ancestors: ReadonlyArray<ASTNode | ReadonlyArray<ASTNode>>): string {
  for (let index = ancestors.length - 1; index >= 0; index--) {
    const ancestor = ancestors[index];
    if (!ancestor || Array.isArray(ancestor)) continue;
    const node = ancestor as ASTNode;
    if (node.kind === Kind.OBJECT_FIELD) return `The input field "${node.name.value}"`;
    if (node.kind === Kind.ARGUMENT) return `The argument "${node.name.value}"`;
  }
  return 'A string literal';
}

/** Client-chosen keys are echoed in the path only when short. */
function segment(key: string): string {
  return key.length <= 64 ? key : `${key.slice(0, 61)}...`;
}
