/** The gateway's HTTP client to each subgraph: adds the signed context to every subgraph request. */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { CONTEXT_HEADER } from '../schema/context.js';
import type { GatewayRequestContext } from './request-context.js';

export class SignedContextDataSource extends RemoteGraphQLDataSource<GatewayRequestContext> {
  override willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayRequestContext>): void {
    const signed = options.context.signedContext;
    // Fail loudly: a fetch without the sign-context stage having run is a pipeline bug, never a fallback.
    if (!signed) throw new Error('sign-context stage did not run before a subgraph fetch');
    options.request.http?.headers.set(CONTEXT_HEADER, signed);
  }
}
