import { Directive, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { classified } from '../../schema/classification.js';
import { LocalDate } from '../../schema/scalars.js';

const HEALTH_STATUS = classified('HEALTH_STATUS', 3);
/** Free-text clinical narrative: no direct identifiers by convention, but narrower use than coded values. */
const HEALTH_STATUS_FREE_TEXT = classified('HEALTH_STATUS', 4, { mask: 'TEXT' });
/** Chronic-disease management (慢病随访) is a public-health programme. */
const PUBLIC_HEALTH = classified('PUBLIC_HEALTH', 3);

@ObjectType({ description: 'Reference to an institution (resolved by the resources subgraph).' })
@Directive('@key(fields: "id", resolvable: false)')
export class Institution {
  @Field(() => ID)
  @Directive(classified('RESOURCES', 1))
  id!: string;
}

@ObjectType({ description: 'A chronic condition recorded in the health archive (coded, with its code system and version).' })
export class ChronicCondition {
  @Field(() => String, { nullable: true })
  @Directive(HEALTH_STATUS)
  code?: string | null;

  @Field(() => String, { nullable: true, description: 'Code system id, e.g. ICD-10-CN.' })
  @Directive(HEALTH_STATUS)
  codeSystem?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(HEALTH_STATUS)
  codeSystemVersion?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(HEALTH_STATUS)
  display?: string | null;

  @Field(() => LocalDate, { nullable: true, description: 'Date of diagnosis as recorded in the archive.' })
  @Directive(HEALTH_STATUS)
  since?: string | null;
}

@ObjectType({ description: 'An allergy (过敏史) recorded in the health archive.' })
export class AllergyRecord {
  @Field(() => String, { nullable: true })
  @Directive(HEALTH_STATUS)
  substance?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(HEALTH_STATUS)
  reaction?: string | null;
}

@ObjectType({ description: 'An annual physical examination (健康体检).' })
export class PhysicalExam {
  @Field(() => ID)
  @Directive(HEALTH_STATUS)
  id!: string;

  @Field(() => LocalDate, { nullable: true })
  @Directive(HEALTH_STATUS)
  examDate?: string | null;

  @Field(() => Float, { nullable: true })
  @Directive(HEALTH_STATUS)
  heightCm?: number | null;

  @Field(() => Float, { nullable: true })
  @Directive(HEALTH_STATUS)
  weightKg?: number | null;

  @Field(() => Int, { nullable: true, description: 'Systolic blood pressure, mmHg.' })
  @Directive(HEALTH_STATUS)
  systolic?: number | null;

  @Field(() => Int, { nullable: true, description: 'Diastolic blood pressure, mmHg.' })
  @Directive(HEALTH_STATUS)
  diastolic?: number | null;

  @Field(() => Float, { nullable: true, description: 'Fasting plasma glucose, mmol/L.' })
  @Directive(HEALTH_STATUS)
  fastingGlucose?: number | null;

  @Field(() => String, { nullable: true, description: 'Examining physician’s summary (free text).' })
  @Directive(HEALTH_STATUS_FREE_TEXT)
  summary?: string | null;

  @Field(() => String, { nullable: true, description: 'Sensitivity label: NONE, MENTAL_HEALTH, HIV_STI, REPRODUCTIVE, GENETIC.' })
  @Directive(HEALTH_STATUS)
  sensitivity?: string | null;

  @Field(() => Int, { nullable: true, description: 'Record level 1–5 (5: especially sensitive).' })
  @Directive(HEALTH_STATUS)
  level?: number | null;

  @Field(() => Institution, { nullable: true })
  @Directive(HEALTH_STATUS)
  institution?: Institution | null;
}

@ObjectType({ description: 'A chronic-disease follow-up visit (慢病随访).' })
export class FollowUp {
  @Field(() => ID)
  @Directive(PUBLIC_HEALTH)
  id!: string;

  @Field(() => String, { nullable: true, description: 'HYPERTENSION or DIABETES.' })
  @Directive(PUBLIC_HEALTH)
  programme?: string | null;

  @Field(() => LocalDate, { nullable: true })
  @Directive(PUBLIC_HEALTH)
  visitDate?: string | null;

  @Field(() => String, { nullable: true, description: 'CLINIC, HOME or PHONE.' })
  @Directive(PUBLIC_HEALTH)
  mode?: string | null;

  @Field(() => Int, { nullable: true })
  @Directive(PUBLIC_HEALTH)
  systolic?: number | null;

  @Field(() => Int, { nullable: true })
  @Directive(PUBLIC_HEALTH)
  diastolic?: number | null;

  @Field(() => Float, { nullable: true })
  @Directive(PUBLIC_HEALTH)
  fastingGlucose?: number | null;

  @Field(() => String, { nullable: true, description: 'CONTROLLED, UNCONTROLLED, ADVERSE_REACTION or COMPLICATION.' })
  @Directive(PUBLIC_HEALTH)
  assessment?: string | null;

  @Field(() => LocalDate, { nullable: true })
  @Directive(PUBLIC_HEALTH)
  nextVisitDate?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(PUBLIC_HEALTH)
  sensitivity?: string | null;

  @Field(() => Int, { nullable: true })
  @Directive(PUBLIC_HEALTH)
  level?: number | null;

  @Field(() => Institution, { nullable: true })
  @Directive(PUBLIC_HEALTH)
  institution?: Institution | null;
}

@ObjectType({ description: 'The resident health archive (居民健康档案, WS 365).' })
export class HealthArchive {
  @Field(() => ID)
  @Directive(HEALTH_STATUS)
  id!: string;

  @Field(() => String, { nullable: true, description: '17-digit archive number: 12-digit administrative division + 5-digit sequence (WS 365).' })
  @Directive(classified('DEMOGRAPHICS', 3))
  archiveNumber?: string | null;

  @Field(() => LocalDate, { nullable: true })
  @Directive(HEALTH_STATUS)
  openedOn?: string | null;

  @Field(() => String, { nullable: true, description: 'ABO and Rh, e.g. A+, O-.' })
  @Directive(HEALTH_STATUS)
  bloodType?: string | null;

  @Field(() => Institution, { nullable: true, description: 'The primary-care institution keeping the archive.' })
  @Directive(HEALTH_STATUS)
  managingInstitution?: Institution | null;

  @Field(() => [ChronicCondition], { nullable: true, description: 'At most 100.' })
  @Directive(HEALTH_STATUS)
  chronicConditions?: ChronicCondition[] | null;

  @Field(() => [AllergyRecord], { nullable: true, description: 'At most 100.' })
  @Directive(HEALTH_STATUS)
  allergies?: AllergyRecord[] | null;

  @Field(() => String, { nullable: true })
  @Directive(HEALTH_STATUS)
  sensitivity?: string | null;

  @Field(() => Int, { nullable: true })
  @Directive(HEALTH_STATUS)
  level?: number | null;
}

@ObjectType({ description: 'A resident, extended with the health archive.' })
@Directive('@key(fields: "id")')
export class Resident {
  @Field(() => ID)
  @Directive(classified('DEMOGRAPHICS', 3))
  id!: string;
}
