-- Hash-partitions the resident-keyed tables of `immunization` by resident_id into 8 partitions
-- (native declarative partitioning; resident_id is the column Citus distributes by). Written by hand
-- (drizzle-kit cannot express PARTITION BY); the snapshot beside it is drizzle-kit's, so tables.ts and it
-- still agree. Existing rows are kept: each table is renamed, recreated partitioned with the same
-- columns, copied, and the old one dropped; keys and indexes are then created on the partitioned
-- table (and so on every partition). Keys hold resident_id: (id, resident_id), and a child references
-- its parent by (parent_id, resident_id).
ALTER TABLE "immunization"."immunization_record" RENAME TO "immunization_record_unpartitioned";--> statement-breakpoint
CREATE TABLE "immunization"."immunization_record" (LIKE "immunization"."immunization_record_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "immunization"."immunization_record_p0" PARTITION OF "immunization"."immunization_record" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "immunization"."immunization_record_p1" PARTITION OF "immunization"."immunization_record" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "immunization"."immunization_record_p2" PARTITION OF "immunization"."immunization_record" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "immunization"."immunization_record_p3" PARTITION OF "immunization"."immunization_record" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "immunization"."immunization_record_p4" PARTITION OF "immunization"."immunization_record" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "immunization"."immunization_record_p5" PARTITION OF "immunization"."immunization_record" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "immunization"."immunization_record_p6" PARTITION OF "immunization"."immunization_record" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "immunization"."immunization_record_p7" PARTITION OF "immunization"."immunization_record" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
INSERT INTO "immunization"."immunization_record" SELECT * FROM "immunization"."immunization_record_unpartitioned";--> statement-breakpoint
DROP TABLE "immunization"."immunization_record_unpartitioned";--> statement-breakpoint
ALTER TABLE "immunization"."immunization_record" ADD CONSTRAINT "immunization_record_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
CREATE INDEX "immunization_history_idx" ON "immunization"."immunization_record" USING btree ("resident_id","administered_on","dose_number","id");
