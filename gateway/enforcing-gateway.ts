/**
 * Wraps @apollo/gateway's executor so the planned operation is the filtered one, and the result goes
 * through the post-execution stages (shape, decrypt and mask, consume grant + audit) before it leaves.
 *
 * The filtered operation gets its own query hash: @apollo/gateway caches plans by it, so a plan made
 * for a wider caller is never reused for a narrower one.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ApolloGateway } from '@apollo/gateway';
import type {
  GatewayExecutionResult,
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayInterface,
  GatewayLoadResult,
  GatewaySchemaLoadOrUpdateCallback,
  GatewayUnsubscriber,
} from '@apollo/server-gateway-interface';
import { print } from 'graphql';
import type { ClassificationMap } from '../schema/classification.js';
import type { EnforcementDeclarations } from '../schema/enforcement.js';
import { withPlatformScalars } from '../schema/scalars.js';
import type { Database } from '../subgraphs/runtime/database.js';
import { required, type GatewayRequestContext } from './request-context.js';
import { auditEventsForRefusal, auditEventsForResult } from './stages/audit.js';
import { commitRefusal, commitUse, GrantUseLostError } from './stages/consume-grant.js';
import { decryptAndMask } from './stages/decrypt-and-mask.js';
import type { AuditSigner } from '../consent/index.js';
import { grantInvalid } from './stages/decide.js';
import type { Keyring } from './keyring/index.js';
import type { SecurityLog } from './security-log/index.js';
import { recordFeedWrites, recordRegistrations } from './stages/feed-writes.js';
import { nullRemovedSelections } from './stages/shape-result.js';

export interface EnforcementDependencies {
  db: Database;
  classifications: ClassificationMap;
  /** What each root field is (feed writes are recorded after they commit). */
  declarations: EnforcementDeclarations;
  keyring: Keyring;
  /** Signs the audit chain's checkpoints. */
  auditSigner: AuditSigner;
  /** Where refused probes go instead of the audit chain. */
  securityLog: SecurityLog;
  /** Called with the time spent in post-execution stages (for the benchmark; never logs data). */
  onStageTiming?: (stage: 'execute' | 'decrypt-and-mask' | 'audit', milliseconds: number) => void;
}

export class EnforcingGateway implements GatewayInterface {
  constructor(
    private readonly inner: ApolloGateway,
    private readonly dependencies: EnforcementDependencies,
  ) {}

  async load(options: Parameters<GatewayInterface['load']>[0]): Promise<GatewayLoadResult> {
    const loaded = await this.inner.load(options as never);
    const executor = loaded.executor as unknown as GatewayExecutor | null;
    return { executor: executor ? (request) => this.execute(request, executor) : null };
  }

  onSchemaLoadOrUpdate(callback: GatewaySchemaLoadOrUpdateCallback): GatewayUnsubscriber {
    // Apollo Server validates and the pipeline checks variables against this schema: real date scalars.
    return this.inner.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => callback({ apiSchema: withPlatformScalars(apiSchema), coreSupergraphSdl }));
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  private async execute(request: GatewayGraphQLRequestContext, executor: GatewayExecutor): Promise<GatewayExecutionResult> {
    const context = request.context as GatewayRequestContext;
    const filtered = required(context, 'filtered', 'execute');
    const timing = this.dependencies.onStageTiming;
    let started = performance.now();
    const planned: GatewayExecutionResult = filtered.empty
      ? { data: {} }
      : await executor({
          ...request,
          request: { ...request.request, variables: { ...request.request.variables, ...context.variableOverrides } },
          document: filtered.document,
          operation: filtered.operation,
          source: print(filtered.document),
          queryHash: createHash('sha256').update(print(filtered.document)).digest('hex'),
        });
    const data = (planned.data ?? null) as Record<string, unknown> | null;
    timing?.('execute', performance.now() - started);
    const subjects = context.subjects ?? [];
    started = performance.now();
    const denials = data ? nullRemovedSelections(data, filtered.removed) : [];
    if (data) {
      const residentOfRoot = new Map(subjects.map((subject) => [subject.rootKey, subject.residentId]));
      denials.push(...(await decryptAndMask({ data, released: filtered.released, residentOfRoot, classifications: this.dependencies.classifications, keyring: this.dependencies.keyring })));
    }
    timing?.('decrypt-and-mask', performance.now() - started);
    started = performance.now();

    if (subjects.length > 0) {
      const events = auditEventsForResult(context, data, this.dependencies.classifications);
      const routing = { context, securityLog: this.dependencies.securityLog };
      try {
        await commitUse(this.dependencies.db, events, this.dependencies.auditSigner, routing);
      } catch (error) {
        if (!(error instanceof GrantUseLostError)) throw error;
        await commitRefusal(this.dependencies.db, auditEventsForRefusal(context, subjects, 'GRANT_INVALID'), this.dependencies.auditSigner, routing);
        // The same refusal as when decide already saw the grant used up: one code, one status, one body.
        return { errors: [grantInvalid('USED_UP')] };
      }
    }
    await recordFeedWrites(this.dependencies.db, context, data, this.dependencies.auditSigner, this.dependencies.declarations);
    await recordRegistrations(this.dependencies.db, context, data, this.dependencies.auditSigner, this.dependencies.declarations);
    timing?.('audit', performance.now() - started);
    const errors = [...(planned.errors ?? []), ...denials];
    return errors.length > 0 ? { ...planned, data, errors } : { ...planned, data };
  }
}
