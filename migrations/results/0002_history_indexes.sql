DROP INDEX "results"."imaging_report_resident_performed_idx";--> statement-breakpoint
DROP INDEX "results"."lab_report_resident_collected_idx";--> statement-breakpoint
CREATE INDEX "imaging_report_history_idx" ON "results"."imaging_report" USING btree ("resident_id","performed_at","id");--> statement-breakpoint
CREATE INDEX "lab_report_history_idx" ON "results"."lab_report" USING btree ("resident_id","collected_at","id");