/**
 * The one place the gateway turns a refusal's code into its HTTP status (schema/errors.ts has the
 * table): whichever stage refused — Apollo's parser, a scalar, the pipeline, the executor after a lost
 * grant race — the same code gets the same status. A response that carries data is answered 200 (its
 * errors are about fields); one without data takes the status of its errors' code, when every error
 * has a client code. Errors thrown while the context is built never reach willSendResponse, so they
 * get their status stamped here too.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { httpStatusOf } from '../schema/errors.js';

export function useClientErrorStatus<Context extends BaseContext>(): ApolloServerPlugin<Context> {
  return {
    async contextCreationDidFail({ error }) {
      if (!(error instanceof GraphQLError)) return;
      const status = httpStatusOf(error.extensions['code']);
      // Apollo reads `extensions.http` of this very error for the reply's status.
      if (status !== undefined) Object.assign(error.extensions, { http: { status } });
    },
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (data !== undefined && data !== null) return;
          const status = statusOf(errors ?? []);
          if (status !== undefined) response.http.status = status;
        },
      };
    },
  };
}

/** The status of the first error, when every error carries a client code. */
function statusOf(errors: readonly GraphQLFormattedError[]): number | undefined {
  const statuses = errors.map((error) => httpStatusOf(error.extensions?.['code']));
  if (statuses.length === 0 || statuses.some((status) => status === undefined)) return undefined;
  return statuses[0];
}
