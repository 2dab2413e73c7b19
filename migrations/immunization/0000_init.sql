CREATE SCHEMA "immunization";
--> statement-breakpoint
CREATE TABLE "immunization"."immunization_record" (
	"id" text PRIMARY KEY NOT NULL,
	"resident_id" text NOT NULL,
	"institution_id" text NOT NULL,
	"vaccine_code" text NOT NULL,
	"vaccine_name" text NOT NULL,
	"dose_number" integer NOT NULL,
	"lot_number" text NOT NULL,
	"manufacturer" text NOT NULL,
	"administered_on" date NOT NULL,
	"site" text NOT NULL,
	"route" text NOT NULL,
	"sensitivity" text DEFAULT 'NONE' NOT NULL,
	"level" smallint DEFAULT 3 NOT NULL
);
--> statement-breakpoint
CREATE INDEX "immunization_resident_date_idx" ON "immunization"."immunization_record" USING btree ("resident_id","administered_on");