-- Hash-partitions the resident-keyed tables of `archive` by resident_id into 8 partitions
-- (native declarative partitioning; resident_id is the column Citus distributes by). Written by hand
-- (drizzle-kit cannot express PARTITION BY); the snapshot beside it is drizzle-kit's, so tables.ts and it
-- still agree. Existing rows are kept: each table is renamed, recreated partitioned with the same
-- columns, copied, and the old one dropped; keys and indexes are then created on the partitioned
-- table (and so on every partition). Keys hold resident_id: (id, resident_id), and a child references
-- its parent by (parent_id, resident_id).
ALTER TABLE "archive"."physical_exam" RENAME TO "physical_exam_unpartitioned";--> statement-breakpoint
ALTER TABLE "archive"."follow_up" RENAME TO "follow_up_unpartitioned";--> statement-breakpoint
CREATE TABLE "archive"."physical_exam" (LIKE "archive"."physical_exam_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "archive"."physical_exam_p0" PARTITION OF "archive"."physical_exam" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "archive"."physical_exam_p1" PARTITION OF "archive"."physical_exam" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "archive"."physical_exam_p2" PARTITION OF "archive"."physical_exam" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "archive"."physical_exam_p3" PARTITION OF "archive"."physical_exam" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "archive"."physical_exam_p4" PARTITION OF "archive"."physical_exam" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "archive"."physical_exam_p5" PARTITION OF "archive"."physical_exam" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "archive"."physical_exam_p6" PARTITION OF "archive"."physical_exam" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "archive"."physical_exam_p7" PARTITION OF "archive"."physical_exam" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
CREATE TABLE "archive"."follow_up" (LIKE "archive"."follow_up_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "archive"."follow_up_p0" PARTITION OF "archive"."follow_up" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "archive"."follow_up_p1" PARTITION OF "archive"."follow_up" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "archive"."follow_up_p2" PARTITION OF "archive"."follow_up" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "archive"."follow_up_p3" PARTITION OF "archive"."follow_up" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "archive"."follow_up_p4" PARTITION OF "archive"."follow_up" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "archive"."follow_up_p5" PARTITION OF "archive"."follow_up" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "archive"."follow_up_p6" PARTITION OF "archive"."follow_up" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "archive"."follow_up_p7" PARTITION OF "archive"."follow_up" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
INSERT INTO "archive"."physical_exam" SELECT * FROM "archive"."physical_exam_unpartitioned";--> statement-breakpoint
INSERT INTO "archive"."follow_up" SELECT * FROM "archive"."follow_up_unpartitioned";--> statement-breakpoint
DROP TABLE "archive"."follow_up_unpartitioned";--> statement-breakpoint
DROP TABLE "archive"."physical_exam_unpartitioned";--> statement-breakpoint
ALTER TABLE "archive"."physical_exam" ADD CONSTRAINT "physical_exam_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
CREATE INDEX "physical_exam_resident_date_idx" ON "archive"."physical_exam" USING btree ("resident_id","exam_date");--> statement-breakpoint
ALTER TABLE "archive"."follow_up" ADD CONSTRAINT "follow_up_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
CREATE INDEX "follow_up_resident_date_idx" ON "archive"."follow_up" USING btree ("resident_id","visit_date");
