CREATE TABLE "consent"."research_scenario" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"purpose" text NOT NULL,
	"ethics_approval" text NOT NULL,
	"impact_assessment" text NOT NULL,
	"applicant_sub" text NOT NULL,
	"applicant_institution_id" text,
	"fields" jsonb NOT NULL,
	"categories" jsonb NOT NULL,
	"cohort" jsonb NOT NULL,
	"touches_level5" boolean NOT NULL,
	"approvals_required" integer NOT NULL,
	"status" text NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"query_quota" integer NOT NULL,
	"queries_used" integer DEFAULT 0 NOT NULL,
	"min_cell_size" integer NOT NULL,
	"age_granularity" text NOT NULL,
	"place_granularity" text NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone,
	"mart_built_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "consent"."scenario_document" (
	"scenario_id" text NOT NULL,
	"position" integer NOT NULL,
	"sha256" text NOT NULL,
	"text" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consent"."scenario_member" (
	"scenario_id" text NOT NULL,
	"resident_id" text NOT NULL,
	"added_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consent"."scenario_review" (
	"id" text PRIMARY KEY NOT NULL,
	"scenario_id" text NOT NULL,
	"reviewer_sub" text NOT NULL,
	"decision" text NOT NULL,
	"comment" text,
	"reviewed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "research_scenario_applicant_idx" ON "consent"."research_scenario" USING btree ("applicant_sub","submitted_at");--> statement-breakpoint
CREATE INDEX "research_scenario_status_idx" ON "consent"."research_scenario" USING btree ("status","submitted_at");--> statement-breakpoint
CREATE UNIQUE INDEX "scenario_document_key" ON "consent"."scenario_document" USING btree ("scenario_id","sha256");--> statement-breakpoint
CREATE INDEX "scenario_document_hash_idx" ON "consent"."scenario_document" USING btree ("sha256");--> statement-breakpoint
CREATE UNIQUE INDEX "scenario_member_key" ON "consent"."scenario_member" USING btree ("scenario_id","resident_id");--> statement-breakpoint
CREATE UNIQUE INDEX "scenario_review_key" ON "consent"."scenario_review" USING btree ("scenario_id","reviewer_sub");