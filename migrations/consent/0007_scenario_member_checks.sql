ALTER TABLE "consent"."scenario_member" ADD COLUMN "pending_checks" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "consent"."scenario_member" ADD COLUMN "consent_until" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "scenario_member_resident_idx" ON "consent"."scenario_member" USING btree ("resident_id");--> statement-breakpoint
CREATE INDEX "scenario_member_due_idx" ON "consent"."scenario_member" USING btree ("scenario_id","consent_until");--> statement-breakpoint
CREATE INDEX "scenario_member_pending_idx" ON "consent"."scenario_member" USING btree ("scenario_id") WHERE "consent"."scenario_member"."pending_checks" > 0;