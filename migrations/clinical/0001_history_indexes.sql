DROP INDEX "clinical"."diagnosis_resident_recorded_idx";--> statement-breakpoint
DROP INDEX "clinical"."encounter_resident_started_idx";--> statement-breakpoint
DROP INDEX "clinical"."prescription_resident_prescribed_idx";--> statement-breakpoint
CREATE INDEX "diagnosis_history_idx" ON "clinical"."diagnosis" USING btree ("resident_id","recorded_at","id");--> statement-breakpoint
CREATE INDEX "encounter_history_idx" ON "clinical"."encounter" USING btree ("resident_id","started_at","id");--> statement-breakpoint
CREATE INDEX "prescription_history_idx" ON "clinical"."prescription" USING btree ("resident_id","prescribed_at","id");