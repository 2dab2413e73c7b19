import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { classified } from '../../schema/classification.js';

const CLINICAL = classified('CLINICAL', 3);

@ObjectType({ description: 'Reference to an institution (resolved by the resources subgraph).' })
@Directive('@key(fields: "id", resolvable: false)')
export class Institution {
  @Field(() => ID)
  @Directive(classified('RESOURCES', 1))
  id!: string;
}

@ObjectType({ description: 'Reference to a practitioner (resolved by the resources subgraph).' })
@Directive('@key(fields: "id", resolvable: false)')
export class Practitioner {
  @Field(() => ID)
  @Directive(classified('RESOURCES', 1))
  id!: string;
}

@ObjectType({ description: 'A coded diagnosis (ICD-10 国家临床版 2.0).' })
export class Diagnosis {
  @Field(() => ID)
  @Directive(CLINICAL)
  id!: string;

  @Field(() => String, { nullable: true })
  @Directive(CLINICAL)
  code?: string | null;

  @Field(() => String, { nullable: true, description: 'Code system id, e.g. ICD-10-CN.' })
  @Directive(CLINICAL)
  codeSystem?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(CLINICAL)
  codeSystemVersion?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(CLINICAL)
  display?: string | null;

  @Field(() => String, { nullable: true, description: 'PRIMARY or SECONDARY.' })
  @Directive(CLINICAL)
  rank?: string | null;

  @Field(() => Date, { nullable: true })
  @Directive(CLINICAL)
  recordedAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'Sensitivity label: NONE, MENTAL_HEALTH, HIV_STI, REPRODUCTIVE, GENETIC.' })
  @Directive(CLINICAL)
  sensitivity?: string | null;

  @Field(() => Int, { nullable: true, description: 'Record level 1–5 (5: especially sensitive).' })
  @Directive(CLINICAL)
  level?: number | null;

  @Field(() => Institution, { nullable: true })
  @Directive(CLINICAL)
  institution?: Institution | null;
}

@ObjectType({ description: 'A prescribed medication.' })
export class Prescription {
  @Field(() => ID)
  @Directive(CLINICAL)
  id!: string;

  @Field(() => String, { nullable: true })
  @Directive(CLINICAL)
  drugCode?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(CLINICAL)
  drugName?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(CLINICAL)
  dosage?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(CLINICAL)
  route?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(CLINICAL)
  frequency?: string | null;

  @Field(() => Int, { nullable: true })
  @Directive(CLINICAL)
  days?: number | null;

  @Field(() => Date, { nullable: true })
  @Directive(CLINICAL)
  prescribedAt?: Date | null;

  @Field(() => String, { nullable: true })
  @Directive(CLINICAL)
  sensitivity?: string | null;

  @Field(() => Int, { nullable: true })
  @Directive(CLINICAL)
  level?: number | null;

  @Field(() => Institution, { nullable: true })
  @Directive(CLINICAL)
  institution?: Institution | null;
}

@ObjectType({ description: 'A visit: outpatient (门诊), inpatient stay (住院) or emergency (急诊).' })
export class Encounter {
  @Field(() => ID)
  @Directive(CLINICAL)
  id!: string;

  @Field(() => String, { nullable: true, description: 'OUTPATIENT, INPATIENT or EMERGENCY.' })
  @Directive(CLINICAL)
  encounterClass?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(CLINICAL)
  department?: string | null;

  @Field(() => Date, { nullable: true })
  @Directive(CLINICAL)
  startedAt?: Date | null;

  @Field(() => Date, { nullable: true })
  @Directive(CLINICAL)
  endedAt?: Date | null;

  @Field(() => String, { nullable: true, description: '主诉 (free text; encrypted at rest).' })
  @Directive(classified('CLINICAL', 4, { encrypted: true, mask: 'TEXT' }))
  chiefComplaint?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(CLINICAL)
  sensitivity?: string | null;

  @Field(() => Int, { nullable: true })
  @Directive(CLINICAL)
  level?: number | null;

  @Field(() => Institution, { nullable: true })
  @Directive(CLINICAL)
  institution?: Institution | null;

  @Field(() => Practitioner, { nullable: true })
  @Directive(CLINICAL)
  attendingPractitioner?: Practitioner | null;
}

@ObjectType({ description: 'A resident, extended with clinical records.' })
@Directive('@key(fields: "id")')
export class Resident {
  @Field(() => ID)
  @Directive(classified('DEMOGRAPHICS', 3))
  id!: string;
}
