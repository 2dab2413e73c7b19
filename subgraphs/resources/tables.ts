import { boolean, date, pgSchema, text } from 'drizzle-orm/pg-core';

export const resourcesSchema = pgSchema('resources');

/** A health institution (卫生资源, public). */
export const institutions = resourcesSchema.table('institution', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** 等级: 三级甲等, 三级乙等, 二级甲等, 二级乙等, 一级甲等, 未定级. */
  grade: text('grade').notNull(),
  /** HOSPITAL, MATERNAL_CHILD, COMMUNITY_HEALTH_CENTER, CDC, … */
  kind: text('kind').notNull(),
  districtCode: text('district_code').notNull(),
  /** Unified social credit code / 医疗机构执业许可证登记号. */
  licenseNumber: text('license_number').notNull(),
  /** Carries the regional mutual-recognition (HR) mark. */
  hrMark: boolean('hr_mark').notNull().default(false),
  /** Passed the latest external quality assessment (室间质评). */
  eqaPassed: boolean('eqa_passed').notNull().default(false),
  eqaValidUntil: date('eqa_valid_until'),
  address: text('address').notNull(),
});

/** A practitioner (执业医师/护士) employed by one institution. */
export const practitioners = resourcesSchema.table('practitioner', {
  id: text('id').primaryKey(),
  institutionId: text('institution_id')
    .notNull()
    .references(() => institutions.id),
  name: text('name').notNull(),
  /** 主任医师, 副主任医师, 主治医师, 住院医师, 主管护师. */
  title: text('title').notNull(),
  department: text('department').notNull(),
  /** 医师执业证书编码. */
  licenseNumber: text('license_number').notNull(),
});

export type InstitutionRow = typeof institutions.$inferSelect;
export type PractitionerRow = typeof practitioners.$inferSelect;
