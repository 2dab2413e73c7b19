/**
 * OpenTelemetry tracing, off by default (DESIGN §11). Only `@opentelemetry/api` is imported here; the
 * SDK and the OTLP exporter are loaded by `startTracing`, which the composition root calls when an
 * endpoint is configured. Until then `tracer` is undefined and every helper below runs its work
 * directly: no span objects, no context switch, no `traceparent` sent.
 *
 * What a span may carry is fixed here, as for the log line (logging.ts): request ids, method, path,
 * status, the actor's role, the GraphQL operation's name and type, error codes, the subgraph's name.
 * Never a subject, a variable, an argument or data.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { httpStatusOf } from '../../schema/errors.js';

/** Where spans go (an OTLP/HTTP traces endpoint, JSON encoding) and under which service name. */
export interface TracingOptions {
  tracesUrl: string;
  serviceName: string;
}

export interface RunningTracing {
  /** Exports every span ended so far. */
  forceFlush(): Promise<void>;
  /** Exports what is left and turns tracing off again (the api's no-op tracer from then on). */
  shutdown(): Promise<void>;
}

/** Set only while tracing is started; undefined means off. */
let tracer: Tracer | undefined;

/** Whether spans are being recorded in this process. */
export function isTracing(): boolean {
  return tracer !== undefined;
}

/**
 * Loads the SDK, registers a tracer provider with the W3C trace-context propagator and an
 * AsyncLocalStorage context manager, and exports spans in batches over OTLP/HTTP.
 */
export async function startTracing(options: TracingOptions): Promise<RunningTracing> {
  if (tracer) throw new Error('tracing is already started in this process');
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }, { ATTR_SERVICE_NAME }, { W3CTraceContextPropagator }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
    import('@opentelemetry/core'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: options.tracesUrl }))],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  tracer = trace.getTracer('healthmesh');
  let stopping: Promise<void> | undefined;
  return {
    forceFlush: () => provider.forceFlush(),
    shutdown: () => {
      stopping ??= (async () => {
        tracer = undefined;
        await provider.shutdown();
        trace.disable();
        propagation.disable();
        context.disable();
      })();
      return stopping;
    },
  };
}

/** A request's server span at the edge, continuing the caller's trace when it sent a `traceparent`. */
export interface ServerSpan {
  /** Runs the request's handling with this span active (so stages and fetches are its children). */
  run<T>(handle: () => T): T;
  /** Ends the span with what the request's log line knows (asked only when tracing). */
  end(outcome: () => ServerSpanOutcome): void;
}

export interface ServerSpanOutcome {
  status: number;
  actorRole?: string | undefined;
  operationName?: string | undefined;
  operationType?: string | undefined;
  /** On a subgraph: the gateway request this fetch belongs to. */
  gatewayRequestId?: string | undefined;
  errorCodes: readonly string[];
}

const UNTRACED: ServerSpan = { run: (handle) => handle(), end: () => {} };

/** What a server span says of its request; `path` must hold no identifier. */
export interface ServerSpanRequest {
  service: string;
  method: string;
  path: string;
  requestId: string;
}

/** The server span of one HTTP request: a no-op when tracing is off, which never asks for `describe`. */
export function startServerSpan(headers: IncomingHttpHeaders, describe: () => ServerSpanRequest): ServerSpan {
  if (!tracer) return UNTRACED;
  const request = describe();
  const parent = propagation.extract(context.active(), headers);
  const span = tracer.startSpan(
    `${request.method} ${request.path}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': request.method,
        'url.path': request.path,
        'healthmesh.service': request.service,
        'healthmesh.request_id': request.requestId,
      },
    },
    parent,
  );
  const active = trace.setSpan(parent, span);
  return {
    run: (handle) => context.with(active, handle),
    end: (describeOutcome) => {
      const outcome = describeOutcome();
      span.setAttributes(outcomeAttributes(outcome));
      if (outcome.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

function outcomeAttributes(outcome: ServerSpanOutcome): Attributes {
  const attributes: Attributes = { 'http.response.status_code': outcome.status };
  if (outcome.actorRole) attributes['healthmesh.actor.role'] = outcome.actorRole;
  if (outcome.operationName) attributes['graphql.operation.name'] = outcome.operationName;
  if (outcome.operationType) attributes['graphql.operation.type'] = outcome.operationType;
  if (outcome.gatewayRequestId) attributes['healthmesh.gateway_request_id'] = outcome.gatewayRequestId;
  if (outcome.errorCodes.length > 0) attributes['healthmesh.error_codes'] = [...outcome.errorCodes];
  // A refusal's code (401, 403, 429: as the denials metric counts them).
  const denial = outcome.errorCodes.find((code) => [401, 403, 429].includes(httpStatusOf(code) ?? 0));
  if (denial) attributes['healthmesh.denial_code'] = denial;
  return attributes;
}

/**
 * A client span around one gateway → subgraph fetch. `send` gets the headers to add to the request:
 * the W3C `traceparent` (and `tracestate`) of this span, or nothing at all when tracing is off.
 */
export async function tracedFetch(target: { subgraph: string; url: string }, send: (propagationHeaders: Record<string, string>) => Promise<Response>): Promise<Response> {
  if (!tracer) return send({});
  const url = new URL(target.url);
  const span = tracer.startSpan(`POST ${target.subgraph}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': 'POST',
      'server.address': url.hostname,
      'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      'url.path': url.pathname,
      'healthmesh.subgraph': target.subgraph,
    },
  });
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  try {
    const response = await send(carrier);
    span.setAttribute('http.response.status_code', response.status);
    if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    return response;
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.setAttribute('error.type', error instanceof Error ? error.name : 'unknown');
    throw error;
  } finally {
    span.end();
  }
}

/** An internal span around one lifecycle stage's work (the work alone when tracing is off). */
export function inStageSpan<T>(name: string, work: () => Promise<T> | T): Promise<T> | T {
  if (!tracer) return work();
  return tracer.startActiveSpan(`stage ${name}`, { attributes: { 'healthmesh.stage': name } }, async (span: Span) => {
    try {
      return await work();
    } catch (error) {
      // A stage's GraphQLError is a refusal, not a failure; its code is on the server span.
      if (!(error instanceof Error && error.name === 'GraphQLError')) span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}
