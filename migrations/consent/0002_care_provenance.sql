ALTER TABLE "consent"."care_relationship" ADD COLUMN "started_by_operation" text;--> statement-breakpoint
ALTER TABLE "consent"."care_relationship" ADD COLUMN "started_by_request_id" text;--> statement-breakpoint
ALTER TABLE "consent"."care_relationship" ADD COLUMN "started_by_record_ids" jsonb;