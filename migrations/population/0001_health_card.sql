ALTER TABLE "population"."resident" ADD COLUMN "health_card_number" text;--> statement-breakpoint
ALTER TABLE "population"."resident" ADD COLUMN "health_card_index" text;--> statement-breakpoint
CREATE UNIQUE INDEX "resident_health_card_index_key" ON "population"."resident" USING btree ("health_card_index");