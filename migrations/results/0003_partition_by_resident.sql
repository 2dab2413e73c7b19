-- Hash-partitions the resident-keyed tables of `results` by resident_id into 8 partitions
-- (native declarative partitioning; resident_id is the column Citus distributes by). Written by hand
-- (drizzle-kit cannot express PARTITION BY); the snapshot beside it is drizzle-kit's, so tables.ts and it
-- still agree. Existing rows are kept: each table is renamed, recreated partitioned with the same
-- columns, copied, and the old one dropped; keys and indexes are then created on the partitioned
-- table (and so on every partition). Keys hold resident_id: (id, resident_id), and a child references
-- its parent by (parent_id, resident_id).
ALTER TABLE "results"."lab_report" RENAME TO "lab_report_unpartitioned";--> statement-breakpoint
ALTER TABLE "results"."lab_item" RENAME TO "lab_item_unpartitioned";--> statement-breakpoint
ALTER TABLE "results"."imaging_report" RENAME TO "imaging_report_unpartitioned";--> statement-breakpoint
ALTER TABLE "results"."recognition_candidate" RENAME TO "recognition_candidate_unpartitioned";--> statement-breakpoint
ALTER TABLE "results"."recognition_decision" RENAME TO "recognition_decision_unpartitioned";--> statement-breakpoint
CREATE TABLE "results"."lab_report" (LIKE "results"."lab_report_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "results"."lab_report_p0" PARTITION OF "results"."lab_report" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "results"."lab_report_p1" PARTITION OF "results"."lab_report" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "results"."lab_report_p2" PARTITION OF "results"."lab_report" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "results"."lab_report_p3" PARTITION OF "results"."lab_report" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "results"."lab_report_p4" PARTITION OF "results"."lab_report" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "results"."lab_report_p5" PARTITION OF "results"."lab_report" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "results"."lab_report_p6" PARTITION OF "results"."lab_report" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "results"."lab_report_p7" PARTITION OF "results"."lab_report" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
CREATE TABLE "results"."lab_item" (LIKE "results"."lab_item_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "results"."lab_item_p0" PARTITION OF "results"."lab_item" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "results"."lab_item_p1" PARTITION OF "results"."lab_item" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "results"."lab_item_p2" PARTITION OF "results"."lab_item" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "results"."lab_item_p3" PARTITION OF "results"."lab_item" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "results"."lab_item_p4" PARTITION OF "results"."lab_item" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "results"."lab_item_p5" PARTITION OF "results"."lab_item" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "results"."lab_item_p6" PARTITION OF "results"."lab_item" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "results"."lab_item_p7" PARTITION OF "results"."lab_item" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
CREATE TABLE "results"."imaging_report" (LIKE "results"."imaging_report_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "results"."imaging_report_p0" PARTITION OF "results"."imaging_report" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "results"."imaging_report_p1" PARTITION OF "results"."imaging_report" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "results"."imaging_report_p2" PARTITION OF "results"."imaging_report" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "results"."imaging_report_p3" PARTITION OF "results"."imaging_report" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "results"."imaging_report_p4" PARTITION OF "results"."imaging_report" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "results"."imaging_report_p5" PARTITION OF "results"."imaging_report" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "results"."imaging_report_p6" PARTITION OF "results"."imaging_report" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "results"."imaging_report_p7" PARTITION OF "results"."imaging_report" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
CREATE TABLE "results"."recognition_candidate" (LIKE "results"."recognition_candidate_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "results"."recognition_candidate_p0" PARTITION OF "results"."recognition_candidate" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "results"."recognition_candidate_p1" PARTITION OF "results"."recognition_candidate" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "results"."recognition_candidate_p2" PARTITION OF "results"."recognition_candidate" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "results"."recognition_candidate_p3" PARTITION OF "results"."recognition_candidate" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "results"."recognition_candidate_p4" PARTITION OF "results"."recognition_candidate" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "results"."recognition_candidate_p5" PARTITION OF "results"."recognition_candidate" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "results"."recognition_candidate_p6" PARTITION OF "results"."recognition_candidate" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "results"."recognition_candidate_p7" PARTITION OF "results"."recognition_candidate" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
CREATE TABLE "results"."recognition_decision" (LIKE "results"."recognition_decision_unpartitioned" INCLUDING DEFAULTS, "resident_id" text NOT NULL) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "results"."recognition_decision_p0" PARTITION OF "results"."recognition_decision" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "results"."recognition_decision_p1" PARTITION OF "results"."recognition_decision" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "results"."recognition_decision_p2" PARTITION OF "results"."recognition_decision" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "results"."recognition_decision_p3" PARTITION OF "results"."recognition_decision" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "results"."recognition_decision_p4" PARTITION OF "results"."recognition_decision" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "results"."recognition_decision_p5" PARTITION OF "results"."recognition_decision" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "results"."recognition_decision_p6" PARTITION OF "results"."recognition_decision" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "results"."recognition_decision_p7" PARTITION OF "results"."recognition_decision" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
INSERT INTO "results"."lab_report" SELECT * FROM "results"."lab_report_unpartitioned";--> statement-breakpoint
INSERT INTO "results"."lab_item" SELECT * FROM "results"."lab_item_unpartitioned";--> statement-breakpoint
INSERT INTO "results"."imaging_report" SELECT * FROM "results"."imaging_report_unpartitioned";--> statement-breakpoint
INSERT INTO "results"."recognition_candidate" SELECT * FROM "results"."recognition_candidate_unpartitioned";--> statement-breakpoint
-- A decision takes its candidate's resident (decisions before this migration had none).
INSERT INTO "results"."recognition_decision" SELECT d.*, c."resident_id" FROM "results"."recognition_decision_unpartitioned" d JOIN "results"."recognition_candidate" c ON c."id" = d."candidate_id";--> statement-breakpoint
DROP TABLE "results"."recognition_decision_unpartitioned";--> statement-breakpoint
DROP TABLE "results"."recognition_candidate_unpartitioned";--> statement-breakpoint
DROP TABLE "results"."imaging_report_unpartitioned";--> statement-breakpoint
DROP TABLE "results"."lab_item_unpartitioned";--> statement-breakpoint
DROP TABLE "results"."lab_report_unpartitioned";--> statement-breakpoint
ALTER TABLE "results"."lab_report" ADD CONSTRAINT "lab_report_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
CREATE INDEX "lab_report_history_idx" ON "results"."lab_report" USING btree ("resident_id","collected_at","id");--> statement-breakpoint
ALTER TABLE "results"."lab_item" ADD CONSTRAINT "lab_item_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
ALTER TABLE "results"."lab_item" ADD CONSTRAINT "lab_item_report_fk" FOREIGN KEY ("report_id","resident_id") REFERENCES "results"."lab_report"("id","resident_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "lab_item_report_idx" ON "results"."lab_item" USING btree ("resident_id","report_id");--> statement-breakpoint
ALTER TABLE "results"."imaging_report" ADD CONSTRAINT "imaging_report_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
CREATE INDEX "imaging_report_history_idx" ON "results"."imaging_report" USING btree ("resident_id","performed_at","id");--> statement-breakpoint
ALTER TABLE "results"."recognition_candidate" ADD CONSTRAINT "recognition_candidate_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
CREATE INDEX "recognition_candidate_institution_day_idx" ON "results"."recognition_candidate" USING btree ("shown_to_institution_id","shown_on");--> statement-breakpoint
ALTER TABLE "results"."recognition_decision" ADD CONSTRAINT "recognition_decision_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
ALTER TABLE "results"."recognition_decision" ADD CONSTRAINT "recognition_decision_candidate_fk" FOREIGN KEY ("candidate_id","resident_id") REFERENCES "results"."recognition_candidate"("id","resident_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "recognition_decision_candidate_idx" ON "results"."recognition_decision" USING btree ("candidate_id","resident_id");--> statement-breakpoint
CREATE INDEX "recognition_decision_institution_day_idx" ON "results"."recognition_decision" USING btree ("institution_id","decided_on");
