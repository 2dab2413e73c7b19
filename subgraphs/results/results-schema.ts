/** The results module's Postgres schema (shared by its table files). */
import { pgSchema } from 'drizzle-orm/pg-core';

export const resultsSchema = pgSchema('results');
