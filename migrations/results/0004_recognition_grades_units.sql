CREATE TABLE "results"."recognition_institution_grade" (
	"institution_id" text NOT NULL,
	"valid_from" date NOT NULL,
	"grade" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "recognition_institution_grade_institution_id_valid_from_pk" PRIMARY KEY("institution_id","valid_from")
);
--> statement-breakpoint
ALTER TABLE "results"."recognition_item" ADD COLUMN "unit" text;