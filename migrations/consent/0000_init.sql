CREATE SCHEMA "consent";
--> statement-breakpoint
CREATE TABLE "consent"."access_grant" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"request_id" text NOT NULL,
	"resident_id" text NOT NULL,
	"grantee_sub" text NOT NULL,
	"grantee_institution_id" text NOT NULL,
	"categories" jsonb NOT NULL,
	"purpose" text NOT NULL,
	"max_level" smallint NOT NULL,
	"uses_allowed" integer NOT NULL,
	"uses_remaining" integer NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"consent_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consent"."access_request" (
	"id" text PRIMARY KEY NOT NULL,
	"resident_id" text NOT NULL,
	"requester_sub" text NOT NULL,
	"requester_practitioner_id" text,
	"requester_institution_id" text NOT NULL,
	"categories" jsonb NOT NULL,
	"purpose" text NOT NULL,
	"reason" text NOT NULL,
	"uses" integer NOT NULL,
	"valid_for_minutes" integer NOT NULL,
	"includes_level5" boolean NOT NULL,
	"status" text NOT NULL,
	"resident_decision" text,
	"resident_decided_at" timestamp with time zone,
	"resident_decided_by" text,
	"steward_decision" text,
	"steward_decided_at" timestamp with time zone,
	"steward_sub" text,
	"denial_reason" text,
	"grant_id" text,
	"approved_by_consent_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consent"."audit_entry" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"request_id" text NOT NULL,
	"actor_sub" text NOT NULL,
	"actor_role" text NOT NULL,
	"institution_id" text,
	"practitioner_id" text,
	"resident_id" text,
	"purpose" text,
	"grant_id" text,
	"scenario_id" text,
	"operation_hash" text NOT NULL,
	"operation_name" text,
	"fields_by_category" jsonb NOT NULL,
	"denied_by_category" jsonb NOT NULL,
	"rows_returned" integer NOT NULL,
	"outcome" text NOT NULL,
	"break_glass" boolean DEFAULT false NOT NULL,
	"break_glass_reason" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consent"."break_glass_review" (
	"id" text PRIMARY KEY NOT NULL,
	"audit_entry_id" text NOT NULL,
	"request_id" text NOT NULL,
	"resident_id" text NOT NULL,
	"actor_sub" text NOT NULL,
	"institution_id" text,
	"reason" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"reviewer_sub" text,
	"reviewed_at" timestamp with time zone,
	"comment" text
);
--> statement-breakpoint
CREATE TABLE "consent"."care_relationship" (
	"resident_id" text NOT NULL,
	"institution_id" text NOT NULL,
	"since" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consent"."consent_version" (
	"id" text PRIMARY KEY NOT NULL,
	"consent_id" text NOT NULL,
	"version" integer NOT NULL,
	"resident_id" text NOT NULL,
	"categories" jsonb NOT NULL,
	"recipient_kind" text NOT NULL,
	"recipient_id" text,
	"purposes" jsonb NOT NULL,
	"provision" text NOT NULL,
	"status" text NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone,
	"notice_version" text NOT NULL,
	"auto_approve" boolean DEFAULT false NOT NULL,
	"guardian_id" text,
	"recorded_by" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consent"."guardianship" (
	"resident_id" text NOT NULL,
	"guardian_id" text NOT NULL,
	"since" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "access_grant_token_key" ON "consent"."access_grant" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "access_grant_resident_idx" ON "consent"."access_grant" USING btree ("resident_id");--> statement-breakpoint
CREATE INDEX "access_request_resident_idx" ON "consent"."access_request" USING btree ("resident_id","created_at");--> statement-breakpoint
CREATE INDEX "access_request_requester_idx" ON "consent"."access_request" USING btree ("requester_sub","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_entry_id_key" ON "consent"."audit_entry" USING btree ("id");--> statement-breakpoint
CREATE INDEX "audit_entry_resident_idx" ON "consent"."audit_entry" USING btree ("resident_id","seq");--> statement-breakpoint
CREATE INDEX "break_glass_review_status_idx" ON "consent"."break_glass_review" USING btree ("status","at");--> statement-breakpoint
CREATE UNIQUE INDEX "care_relationship_key" ON "consent"."care_relationship" USING btree ("resident_id","institution_id");--> statement-breakpoint
CREATE UNIQUE INDEX "consent_version_key" ON "consent"."consent_version" USING btree ("consent_id","version");--> statement-breakpoint
CREATE INDEX "consent_version_resident_idx" ON "consent"."consent_version" USING btree ("resident_id");--> statement-breakpoint
CREATE UNIQUE INDEX "guardianship_key" ON "consent"."guardianship" USING btree ("resident_id","guardian_id");--> statement-breakpoint
CREATE INDEX "guardianship_guardian_idx" ON "consent"."guardianship" USING btree ("guardian_id");