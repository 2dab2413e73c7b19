CREATE TABLE "results"."recognition_candidate" (
	"id" text PRIMARY KEY NOT NULL,
	"resident_id" text NOT NULL,
	"item_code" text NOT NULL,
	"lab_report_id" text,
	"lab_item_id" text,
	"imaging_report_id" text,
	"result_institution_id" text NOT NULL,
	"performed_at" timestamp with time zone NOT NULL,
	"recognizable" boolean NOT NULL,
	"reasons" text[] NOT NULL,
	"shown_to_sub" text NOT NULL,
	"shown_to_institution_id" text NOT NULL,
	"shown_at" timestamp with time zone NOT NULL,
	"shown_on" date NOT NULL
);
--> statement-breakpoint
CREATE TABLE "results"."recognition_decision" (
	"id" text PRIMARY KEY NOT NULL,
	"candidate_id" text NOT NULL,
	"accepted" boolean NOT NULL,
	"reason" text,
	"reason_text" text,
	"decided_by_sub" text NOT NULL,
	"institution_id" text NOT NULL,
	"saved_yuan" numeric(10, 2) NOT NULL,
	"decided_at" timestamp with time zone NOT NULL,
	"decided_on" date NOT NULL
);
--> statement-breakpoint
CREATE TABLE "results"."recognition_eqa_status" (
	"institution_id" text NOT NULL,
	"item_code" text NOT NULL,
	"valid_from" date NOT NULL,
	"valid_until" date NOT NULL,
	"passed" boolean NOT NULL,
	"hr_mark" boolean NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "recognition_eqa_status_institution_id_item_code_valid_from_pk" PRIMARY KEY("institution_id","item_code","valid_from")
);
--> statement-breakpoint
CREATE TABLE "results"."recognition_item" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"item_group" text NOT NULL,
	"loinc" text,
	"validity_days" integer NOT NULL,
	"price_yuan" numeric(10, 2) NOT NULL,
	"modality" text,
	"body_part" text,
	"recognised_grades" text[] NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "results"."recognition_decision" ADD CONSTRAINT "recognition_decision_candidate_id_recognition_candidate_id_fk" FOREIGN KEY ("candidate_id") REFERENCES "results"."recognition_candidate"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "results"."recognition_eqa_status" ADD CONSTRAINT "recognition_eqa_status_item_code_recognition_item_code_fk" FOREIGN KEY ("item_code") REFERENCES "results"."recognition_item"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "recognition_candidate_institution_day_idx" ON "results"."recognition_candidate" USING btree ("shown_to_institution_id","shown_on");--> statement-breakpoint
CREATE UNIQUE INDEX "recognition_decision_candidate_idx" ON "results"."recognition_decision" USING btree ("candidate_id");--> statement-breakpoint
CREATE INDEX "recognition_decision_institution_day_idx" ON "results"."recognition_decision" USING btree ("institution_id","decided_on");