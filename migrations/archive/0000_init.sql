CREATE SCHEMA "archive";
--> statement-breakpoint
CREATE TABLE "archive"."follow_up" (
	"id" text PRIMARY KEY NOT NULL,
	"resident_id" text NOT NULL,
	"institution_id" text NOT NULL,
	"programme" text NOT NULL,
	"visit_date" date NOT NULL,
	"mode" text NOT NULL,
	"systolic" integer,
	"diastolic" integer,
	"fasting_glucose" real,
	"assessment" text NOT NULL,
	"next_visit_date" date,
	"sensitivity" text DEFAULT 'NONE' NOT NULL,
	"level" smallint DEFAULT 3 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "archive"."health_archive" (
	"id" text PRIMARY KEY NOT NULL,
	"resident_id" text NOT NULL,
	"archive_number" text NOT NULL,
	"managing_institution_id" text NOT NULL,
	"opened_on" date NOT NULL,
	"blood_type" text,
	"chronic_conditions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"allergies" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"sensitivity" text DEFAULT 'NONE' NOT NULL,
	"level" smallint DEFAULT 3 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "archive"."physical_exam" (
	"id" text PRIMARY KEY NOT NULL,
	"resident_id" text NOT NULL,
	"institution_id" text NOT NULL,
	"exam_date" date NOT NULL,
	"height_cm" real NOT NULL,
	"weight_kg" real NOT NULL,
	"systolic" integer NOT NULL,
	"diastolic" integer NOT NULL,
	"fasting_glucose" real,
	"summary" text NOT NULL,
	"sensitivity" text DEFAULT 'NONE' NOT NULL,
	"level" smallint DEFAULT 3 NOT NULL
);
--> statement-breakpoint
CREATE INDEX "follow_up_resident_date_idx" ON "archive"."follow_up" USING btree ("resident_id","visit_date");--> statement-breakpoint
CREATE UNIQUE INDEX "health_archive_resident_key" ON "archive"."health_archive" USING btree ("resident_id");--> statement-breakpoint
CREATE UNIQUE INDEX "health_archive_number_key" ON "archive"."health_archive" USING btree ("archive_number");--> statement-breakpoint
CREATE INDEX "physical_exam_resident_date_idx" ON "archive"."physical_exam" USING btree ("resident_id","exam_date");