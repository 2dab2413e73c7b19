CREATE SCHEMA "clinical";
--> statement-breakpoint
CREATE TABLE "clinical"."diagnosis" (
	"id" text PRIMARY KEY NOT NULL,
	"resident_id" text NOT NULL,
	"encounter_id" text NOT NULL,
	"institution_id" text NOT NULL,
	"code" text NOT NULL,
	"code_system" text NOT NULL,
	"code_system_version" text NOT NULL,
	"display" text NOT NULL,
	"rank" text NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	"sensitivity" text DEFAULT 'NONE' NOT NULL,
	"level" smallint DEFAULT 3 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "clinical"."encounter" (
	"id" text PRIMARY KEY NOT NULL,
	"resident_id" text NOT NULL,
	"institution_id" text NOT NULL,
	"encounter_class" text NOT NULL,
	"department" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"attending_practitioner_id" text,
	"chief_complaint" text,
	"sensitivity" text DEFAULT 'NONE' NOT NULL,
	"level" smallint DEFAULT 3 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "clinical"."prescription" (
	"id" text PRIMARY KEY NOT NULL,
	"resident_id" text NOT NULL,
	"encounter_id" text NOT NULL,
	"institution_id" text NOT NULL,
	"drug_code" text NOT NULL,
	"drug_name" text NOT NULL,
	"dosage" text NOT NULL,
	"route" text NOT NULL,
	"frequency" text NOT NULL,
	"days" integer NOT NULL,
	"prescribed_at" timestamp with time zone NOT NULL,
	"prescriber_id" text,
	"sensitivity" text DEFAULT 'NONE' NOT NULL,
	"level" smallint DEFAULT 3 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "clinical"."diagnosis" ADD CONSTRAINT "diagnosis_encounter_id_encounter_id_fk" FOREIGN KEY ("encounter_id") REFERENCES "clinical"."encounter"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clinical"."prescription" ADD CONSTRAINT "prescription_encounter_id_encounter_id_fk" FOREIGN KEY ("encounter_id") REFERENCES "clinical"."encounter"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "diagnosis_resident_recorded_idx" ON "clinical"."diagnosis" USING btree ("resident_id","recorded_at");--> statement-breakpoint
CREATE INDEX "diagnosis_encounter_idx" ON "clinical"."diagnosis" USING btree ("encounter_id");--> statement-breakpoint
CREATE INDEX "encounter_resident_started_idx" ON "clinical"."encounter" USING btree ("resident_id","started_at");--> statement-breakpoint
CREATE INDEX "prescription_resident_prescribed_idx" ON "clinical"."prescription" USING btree ("resident_id","prescribed_at");