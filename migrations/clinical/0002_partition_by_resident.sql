-- Hash-partitions the resident-keyed tables of `clinical` by resident_id into 8 partitions
-- (native declarative partitioning; resident_id is the column Citus distributes by). Written by hand
-- (drizzle-kit cannot express PARTITION BY); the snapshot beside it is drizzle-kit's, so tables.ts and it
-- still agree. Existing rows are kept: each table is renamed, recreated partitioned with the same
-- columns, copied, and the old one dropped; keys and indexes are then created on the partitioned
-- table (and so on every partition). Keys hold resident_id: (id, resident_id), and a child references
-- its parent by (parent_id, resident_id).
ALTER TABLE "clinical"."encounter" RENAME TO "encounter_unpartitioned";--> statement-breakpoint
ALTER TABLE "clinical"."diagnosis" RENAME TO "diagnosis_unpartitioned";--> statement-breakpoint
ALTER TABLE "clinical"."prescription" RENAME TO "prescription_unpartitioned";--> statement-breakpoint
CREATE TABLE "clinical"."encounter" (LIKE "clinical"."encounter_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "clinical"."encounter_p0" PARTITION OF "clinical"."encounter" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "clinical"."encounter_p1" PARTITION OF "clinical"."encounter" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "clinical"."encounter_p2" PARTITION OF "clinical"."encounter" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "clinical"."encounter_p3" PARTITION OF "clinical"."encounter" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "clinical"."encounter_p4" PARTITION OF "clinical"."encounter" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "clinical"."encounter_p5" PARTITION OF "clinical"."encounter" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "clinical"."encounter_p6" PARTITION OF "clinical"."encounter" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "clinical"."encounter_p7" PARTITION OF "clinical"."encounter" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
CREATE TABLE "clinical"."diagnosis" (LIKE "clinical"."diagnosis_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "clinical"."diagnosis_p0" PARTITION OF "clinical"."diagnosis" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "clinical"."diagnosis_p1" PARTITION OF "clinical"."diagnosis" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "clinical"."diagnosis_p2" PARTITION OF "clinical"."diagnosis" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "clinical"."diagnosis_p3" PARTITION OF "clinical"."diagnosis" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "clinical"."diagnosis_p4" PARTITION OF "clinical"."diagnosis" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "clinical"."diagnosis_p5" PARTITION OF "clinical"."diagnosis" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "clinical"."diagnosis_p6" PARTITION OF "clinical"."diagnosis" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "clinical"."diagnosis_p7" PARTITION OF "clinical"."diagnosis" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
CREATE TABLE "clinical"."prescription" (LIKE "clinical"."prescription_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "clinical"."prescription_p0" PARTITION OF "clinical"."prescription" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "clinical"."prescription_p1" PARTITION OF "clinical"."prescription" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "clinical"."prescription_p2" PARTITION OF "clinical"."prescription" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "clinical"."prescription_p3" PARTITION OF "clinical"."prescription" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "clinical"."prescription_p4" PARTITION OF "clinical"."prescription" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "clinical"."prescription_p5" PARTITION OF "clinical"."prescription" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "clinical"."prescription_p6" PARTITION OF "clinical"."prescription" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "clinical"."prescription_p7" PARTITION OF "clinical"."prescription" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
INSERT INTO "clinical"."encounter" SELECT * FROM "clinical"."encounter_unpartitioned";--> statement-breakpoint
INSERT INTO "clinical"."diagnosis" SELECT * FROM "clinical"."diagnosis_unpartitioned";--> statement-breakpoint
INSERT INTO "clinical"."prescription" SELECT * FROM "clinical"."prescription_unpartitioned";--> statement-breakpoint
DROP TABLE "clinical"."prescription_unpartitioned";--> statement-breakpoint
DROP TABLE "clinical"."diagnosis_unpartitioned";--> statement-breakpoint
DROP TABLE "clinical"."encounter_unpartitioned";--> statement-breakpoint
ALTER TABLE "clinical"."encounter" ADD CONSTRAINT "encounter_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
CREATE INDEX "encounter_history_idx" ON "clinical"."encounter" USING btree ("resident_id","started_at","id");--> statement-breakpoint
ALTER TABLE "clinical"."diagnosis" ADD CONSTRAINT "diagnosis_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
ALTER TABLE "clinical"."diagnosis" ADD CONSTRAINT "diagnosis_encounter_fk" FOREIGN KEY ("encounter_id","resident_id") REFERENCES "clinical"."encounter"("id","resident_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "diagnosis_history_idx" ON "clinical"."diagnosis" USING btree ("resident_id","recorded_at","id");--> statement-breakpoint
CREATE INDEX "diagnosis_encounter_idx" ON "clinical"."diagnosis" USING btree ("resident_id","encounter_id");--> statement-breakpoint
ALTER TABLE "clinical"."prescription" ADD CONSTRAINT "prescription_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
ALTER TABLE "clinical"."prescription" ADD CONSTRAINT "prescription_encounter_fk" FOREIGN KEY ("encounter_id","resident_id") REFERENCES "clinical"."encounter"("id","resident_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "prescription_history_idx" ON "clinical"."prescription" USING btree ("resident_id","prescribed_at","id");
