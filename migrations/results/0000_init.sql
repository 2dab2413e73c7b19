CREATE SCHEMA "results";
--> statement-breakpoint
CREATE TABLE "results"."imaging_report" (
	"id" text PRIMARY KEY NOT NULL,
	"resident_id" text NOT NULL,
	"institution_id" text NOT NULL,
	"encounter_id" text,
	"modality" text NOT NULL,
	"body_part" text NOT NULL,
	"findings" text NOT NULL,
	"impression" text NOT NULL,
	"performed_at" timestamp with time zone NOT NULL,
	"contrast" boolean DEFAULT false NOT NULL,
	"sensitivity" text DEFAULT 'NONE' NOT NULL,
	"level" smallint DEFAULT 3 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "results"."lab_item" (
	"id" text PRIMARY KEY NOT NULL,
	"report_id" text NOT NULL,
	"resident_id" text NOT NULL,
	"local_code" text NOT NULL,
	"loinc" text,
	"name" text NOT NULL,
	"value" text NOT NULL,
	"unit" text,
	"reference_range" text,
	"abnormal_flag" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "results"."lab_report" (
	"id" text PRIMARY KEY NOT NULL,
	"resident_id" text NOT NULL,
	"institution_id" text NOT NULL,
	"encounter_id" text,
	"panel_code" text NOT NULL,
	"panel_name" text NOT NULL,
	"specimen" text NOT NULL,
	"collected_at" timestamp with time zone NOT NULL,
	"reported_at" timestamp with time zone NOT NULL,
	"sensitivity" text DEFAULT 'NONE' NOT NULL,
	"level" smallint DEFAULT 3 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "results"."lab_item" ADD CONSTRAINT "lab_item_report_id_lab_report_id_fk" FOREIGN KEY ("report_id") REFERENCES "results"."lab_report"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "imaging_report_resident_performed_idx" ON "results"."imaging_report" USING btree ("resident_id","performed_at");--> statement-breakpoint
CREATE INDEX "lab_item_report_idx" ON "results"."lab_item" USING btree ("report_id");--> statement-breakpoint
CREATE INDEX "lab_report_resident_collected_idx" ON "results"."lab_report" USING btree ("resident_id","collected_at");