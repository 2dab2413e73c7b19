CREATE SCHEMA "resources";
--> statement-breakpoint
CREATE TABLE "resources"."institution" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"grade" text NOT NULL,
	"kind" text NOT NULL,
	"district_code" text NOT NULL,
	"license_number" text NOT NULL,
	"hr_mark" boolean DEFAULT false NOT NULL,
	"eqa_passed" boolean DEFAULT false NOT NULL,
	"eqa_valid_until" date,
	"address" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "resources"."practitioner" (
	"id" text PRIMARY KEY NOT NULL,
	"institution_id" text NOT NULL,
	"name" text NOT NULL,
	"title" text NOT NULL,
	"department" text NOT NULL,
	"license_number" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "resources"."practitioner" ADD CONSTRAINT "practitioner_institution_id_institution_id_fk" FOREIGN KEY ("institution_id") REFERENCES "resources"."institution"("id") ON DELETE no action ON UPDATE no action;