import { describe, expect, it } from 'vitest';
import { ERROR_CODES, HTTP_STATUS_BY_CODE, httpStatusOf, isClientErrorCode } from './errors.js';

describe('HTTP_STATUS_BY_CODE', () => {
  it('maps every platform code, and each client mistake of DESIGN §10, to one 4xx status', () => {
    const platformCodes = Object.values(ERROR_CODES);
    expect(platformCodes.length).toBeGreaterThan(0);
    for (const code of platformCodes) expect(httpStatusOf(code), code).toBeGreaterThanOrEqual(400);
    const byStatus: Record<number, string[]> = {};
    for (const [code, status] of Object.entries(HTTP_STATUS_BY_CODE)) (byStatus[status] ??= []).push(code);
    expect(byStatus).toEqual({
      401: ['UNAUTHENTICATED'],
      403: ['FORBIDDEN', 'PURPOSE_REQUIRED', 'GRANT_REQUIRED', 'GRANT_INVALID', 'CONSENT_REQUIRED', 'SCENARIO_NOT_APPROVED', 'OPERATION_NOT_REGISTERED'],
      429: ['QUOTA_EXCEEDED'],
      400: ['QUERY_TOO_COMPLEX', 'BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'OPERATION_RESOLUTION_FAILURE', 'BAD_REQUEST'],
      404: ['NOT_FOUND'],
      409: ['CONFLICT'],
      413: ['PAYLOAD_TOO_LARGE'],
      // Apollo's automatic-persisted-query protocol: the client reads the code and retries with the text.
      200: ['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED'],
    });
  });

  it('has no status for codes that are not client mistakes', () => {
    expect(['INTERNAL_SERVER_ERROR', 'DATA_ERASED', undefined, 42, 'toString', '__proto__'].map(httpStatusOf)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(isClientErrorCode('constructor')).toBe(false);
  });
});
