/**
 * The policy module, the one place that decides (DESIGN §5): the field rules (who reads what of a
 * resident, and the row scope derived from them) and the platform rules (every other permission).
 * A domain subgraph may import this module, and nothing else of consent/.
 */
export * from './policy/fields.js';
export * from './policy/platform.js';
