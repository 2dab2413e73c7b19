/** The security log's public surface: refused probes, bounded, outside residents' access logs. */
export {
  DEFAULT_SECURITY_LOG_MAX_EVENTS,
  MAX_SECURITY_EVENTS_READ,
  openSecurityLog,
  recentSecurityEvents,
  type RecordedSecurityEvent,
  type SecurityEvent,
  type SecurityLog,
} from './security-log.js';
export { separateProbes, type SeparatedEvents } from './probes.js';
export { securityEvents, securitySchema, type SecurityEventKind, type SecurityEventRow } from './tables.js';
