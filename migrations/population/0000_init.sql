CREATE SCHEMA "population";
--> statement-breakpoint
CREATE TABLE "population"."resident" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"sex" text NOT NULL,
	"birth_date" date NOT NULL,
	"id_card_number" text NOT NULL,
	"id_card_index" text NOT NULL,
	"phone" text,
	"phone_index" text,
	"address" text,
	"district_code" text NOT NULL,
	"ethnicity" text DEFAULT '01' NOT NULL,
	"guardian_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "resident_id_card_index_key" ON "population"."resident" USING btree ("id_card_index");--> statement-breakpoint
CREATE INDEX "resident_phone_index_idx" ON "population"."resident" USING btree ("phone_index");