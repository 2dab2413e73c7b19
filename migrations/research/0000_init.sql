CREATE SCHEMA "research";
--> statement-breakpoint
CREATE TABLE "research"."aggregate_answer" (
	"id" text PRIMARY KEY NOT NULL,
	"scenario_id" text NOT NULL,
	"signature" text NOT NULL,
	"measure" text NOT NULL,
	"item_code" text,
	"dimensions" jsonb NOT NULL,
	"cell_counts" jsonb NOT NULL,
	"total" integer NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "research"."mart_build" (
	"scenario_id" text PRIMARY KEY NOT NULL,
	"min_cell_size" integer NOT NULL,
	"built_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "research"."mart_diagnosis" (
	"scenario_id" text NOT NULL,
	"pseudonym" text NOT NULL,
	"code" text,
	"code_system" text,
	"year" integer
);
--> statement-breakpoint
CREATE TABLE "research"."mart_lab_item" (
	"scenario_id" text NOT NULL,
	"pseudonym" text NOT NULL,
	"loinc" text,
	"local_code" text,
	"value" text,
	"value_number" double precision,
	"unit" text,
	"year" integer
);
--> statement-breakpoint
CREATE TABLE "research"."mart_subject" (
	"scenario_id" text NOT NULL,
	"pseudonym" text NOT NULL,
	"sex" text,
	"birth_year" integer,
	"age_band" text,
	"district" text,
	CONSTRAINT "mart_subject_scenario_id_pseudonym_pk" PRIMARY KEY("scenario_id","pseudonym")
);
--> statement-breakpoint
CREATE INDEX "aggregate_answer_scenario_idx" ON "research"."aggregate_answer" USING btree ("scenario_id","at");--> statement-breakpoint
CREATE INDEX "mart_diagnosis_subject_idx" ON "research"."mart_diagnosis" USING btree ("scenario_id","pseudonym");--> statement-breakpoint
CREATE INDEX "mart_lab_item_subject_idx" ON "research"."mart_lab_item" USING btree ("scenario_id","pseudonym");--> statement-breakpoint
CREATE INDEX "mart_lab_item_code_idx" ON "research"."mart_lab_item" USING btree ("scenario_id","loinc");