-- Hash-partitions the resident-keyed tables of `consent` by resident_id into 8 partitions
-- (native declarative partitioning; resident_id is the column Citus distributes by). Written by hand
-- (drizzle-kit cannot express PARTITION BY); the snapshot beside it is drizzle-kit's, so tables.ts and it
-- still agree. Existing rows are kept: each table is renamed, recreated partitioned with the same
-- columns, copied, and the old one dropped; keys and indexes are then created on the partitioned
-- table (and so on every partition). Keys hold resident_id: (id, resident_id), and a child references
-- its parent by (parent_id, resident_id).
ALTER TABLE "consent"."consent_version" RENAME TO "consent_version_unpartitioned";--> statement-breakpoint
ALTER TABLE "consent"."access_request" RENAME TO "access_request_unpartitioned";--> statement-breakpoint
ALTER TABLE "consent"."access_grant" RENAME TO "access_grant_unpartitioned";--> statement-breakpoint
ALTER TABLE "consent"."care_relationship" RENAME TO "care_relationship_unpartitioned";--> statement-breakpoint
ALTER TABLE "consent"."guardianship" RENAME TO "guardianship_unpartitioned";--> statement-breakpoint
ALTER TABLE "consent"."scenario_member" RENAME TO "scenario_member_unpartitioned";--> statement-breakpoint
CREATE TABLE "consent"."consent_version" (LIKE "consent"."consent_version_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "consent"."consent_version_p0" PARTITION OF "consent"."consent_version" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "consent"."consent_version_p1" PARTITION OF "consent"."consent_version" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "consent"."consent_version_p2" PARTITION OF "consent"."consent_version" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "consent"."consent_version_p3" PARTITION OF "consent"."consent_version" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "consent"."consent_version_p4" PARTITION OF "consent"."consent_version" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "consent"."consent_version_p5" PARTITION OF "consent"."consent_version" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "consent"."consent_version_p6" PARTITION OF "consent"."consent_version" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "consent"."consent_version_p7" PARTITION OF "consent"."consent_version" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
CREATE TABLE "consent"."access_request" (LIKE "consent"."access_request_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "consent"."access_request_p0" PARTITION OF "consent"."access_request" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "consent"."access_request_p1" PARTITION OF "consent"."access_request" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "consent"."access_request_p2" PARTITION OF "consent"."access_request" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "consent"."access_request_p3" PARTITION OF "consent"."access_request" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "consent"."access_request_p4" PARTITION OF "consent"."access_request" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "consent"."access_request_p5" PARTITION OF "consent"."access_request" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "consent"."access_request_p6" PARTITION OF "consent"."access_request" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "consent"."access_request_p7" PARTITION OF "consent"."access_request" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
CREATE TABLE "consent"."access_grant" (LIKE "consent"."access_grant_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "consent"."access_grant_p0" PARTITION OF "consent"."access_grant" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "consent"."access_grant_p1" PARTITION OF "consent"."access_grant" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "consent"."access_grant_p2" PARTITION OF "consent"."access_grant" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "consent"."access_grant_p3" PARTITION OF "consent"."access_grant" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "consent"."access_grant_p4" PARTITION OF "consent"."access_grant" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "consent"."access_grant_p5" PARTITION OF "consent"."access_grant" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "consent"."access_grant_p6" PARTITION OF "consent"."access_grant" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "consent"."access_grant_p7" PARTITION OF "consent"."access_grant" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
CREATE TABLE "consent"."care_relationship" (LIKE "consent"."care_relationship_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "consent"."care_relationship_p0" PARTITION OF "consent"."care_relationship" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "consent"."care_relationship_p1" PARTITION OF "consent"."care_relationship" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "consent"."care_relationship_p2" PARTITION OF "consent"."care_relationship" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "consent"."care_relationship_p3" PARTITION OF "consent"."care_relationship" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "consent"."care_relationship_p4" PARTITION OF "consent"."care_relationship" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "consent"."care_relationship_p5" PARTITION OF "consent"."care_relationship" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "consent"."care_relationship_p6" PARTITION OF "consent"."care_relationship" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "consent"."care_relationship_p7" PARTITION OF "consent"."care_relationship" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
CREATE TABLE "consent"."guardianship" (LIKE "consent"."guardianship_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "consent"."guardianship_p0" PARTITION OF "consent"."guardianship" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "consent"."guardianship_p1" PARTITION OF "consent"."guardianship" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "consent"."guardianship_p2" PARTITION OF "consent"."guardianship" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "consent"."guardianship_p3" PARTITION OF "consent"."guardianship" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "consent"."guardianship_p4" PARTITION OF "consent"."guardianship" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "consent"."guardianship_p5" PARTITION OF "consent"."guardianship" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "consent"."guardianship_p6" PARTITION OF "consent"."guardianship" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "consent"."guardianship_p7" PARTITION OF "consent"."guardianship" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
CREATE TABLE "consent"."scenario_member" (LIKE "consent"."scenario_member_unpartitioned" INCLUDING DEFAULTS) PARTITION BY HASH ("resident_id");--> statement-breakpoint
CREATE TABLE "consent"."scenario_member_p0" PARTITION OF "consent"."scenario_member" FOR VALUES WITH (MODULUS 8, REMAINDER 0);--> statement-breakpoint
CREATE TABLE "consent"."scenario_member_p1" PARTITION OF "consent"."scenario_member" FOR VALUES WITH (MODULUS 8, REMAINDER 1);--> statement-breakpoint
CREATE TABLE "consent"."scenario_member_p2" PARTITION OF "consent"."scenario_member" FOR VALUES WITH (MODULUS 8, REMAINDER 2);--> statement-breakpoint
CREATE TABLE "consent"."scenario_member_p3" PARTITION OF "consent"."scenario_member" FOR VALUES WITH (MODULUS 8, REMAINDER 3);--> statement-breakpoint
CREATE TABLE "consent"."scenario_member_p4" PARTITION OF "consent"."scenario_member" FOR VALUES WITH (MODULUS 8, REMAINDER 4);--> statement-breakpoint
CREATE TABLE "consent"."scenario_member_p5" PARTITION OF "consent"."scenario_member" FOR VALUES WITH (MODULUS 8, REMAINDER 5);--> statement-breakpoint
CREATE TABLE "consent"."scenario_member_p6" PARTITION OF "consent"."scenario_member" FOR VALUES WITH (MODULUS 8, REMAINDER 6);--> statement-breakpoint
CREATE TABLE "consent"."scenario_member_p7" PARTITION OF "consent"."scenario_member" FOR VALUES WITH (MODULUS 8, REMAINDER 7);--> statement-breakpoint
INSERT INTO "consent"."consent_version" SELECT * FROM "consent"."consent_version_unpartitioned";--> statement-breakpoint
INSERT INTO "consent"."access_request" SELECT * FROM "consent"."access_request_unpartitioned";--> statement-breakpoint
INSERT INTO "consent"."access_grant" SELECT * FROM "consent"."access_grant_unpartitioned";--> statement-breakpoint
INSERT INTO "consent"."care_relationship" SELECT * FROM "consent"."care_relationship_unpartitioned";--> statement-breakpoint
INSERT INTO "consent"."guardianship" SELECT * FROM "consent"."guardianship_unpartitioned";--> statement-breakpoint
INSERT INTO "consent"."scenario_member" SELECT * FROM "consent"."scenario_member_unpartitioned";--> statement-breakpoint
DROP TABLE "consent"."scenario_member_unpartitioned";--> statement-breakpoint
DROP TABLE "consent"."guardianship_unpartitioned";--> statement-breakpoint
DROP TABLE "consent"."care_relationship_unpartitioned";--> statement-breakpoint
DROP TABLE "consent"."access_grant_unpartitioned";--> statement-breakpoint
DROP TABLE "consent"."access_request_unpartitioned";--> statement-breakpoint
DROP TABLE "consent"."consent_version_unpartitioned";--> statement-breakpoint
ALTER TABLE "consent"."consent_version" ADD CONSTRAINT "consent_version_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
CREATE UNIQUE INDEX "consent_version_key" ON "consent"."consent_version" USING btree ("consent_id","version","resident_id");--> statement-breakpoint
CREATE INDEX "consent_version_resident_idx" ON "consent"."consent_version" USING btree ("resident_id");--> statement-breakpoint
ALTER TABLE "consent"."access_request" ADD CONSTRAINT "access_request_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
CREATE INDEX "access_request_resident_idx" ON "consent"."access_request" USING btree ("resident_id","created_at");--> statement-breakpoint
CREATE INDEX "access_request_requester_idx" ON "consent"."access_request" USING btree ("requester_sub","created_at");--> statement-breakpoint
ALTER TABLE "consent"."access_grant" ADD CONSTRAINT "access_grant_pkey" PRIMARY KEY("id","resident_id");--> statement-breakpoint
CREATE UNIQUE INDEX "access_grant_token_key" ON "consent"."access_grant" USING btree ("token_hash","resident_id");--> statement-breakpoint
CREATE INDEX "access_grant_resident_idx" ON "consent"."access_grant" USING btree ("resident_id");--> statement-breakpoint
CREATE UNIQUE INDEX "care_relationship_key" ON "consent"."care_relationship" USING btree ("resident_id","institution_id");--> statement-breakpoint
CREATE UNIQUE INDEX "guardianship_key" ON "consent"."guardianship" USING btree ("resident_id","guardian_id");--> statement-breakpoint
CREATE INDEX "guardianship_guardian_idx" ON "consent"."guardianship" USING btree ("guardian_id");--> statement-breakpoint
CREATE UNIQUE INDEX "scenario_member_key" ON "consent"."scenario_member" USING btree ("scenario_id","resident_id");
