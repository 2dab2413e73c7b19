import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { classified } from '../../schema/classification.js';
import { LocalDate } from '../../schema/scalars.js';

const PUBLIC_HEALTH = classified('PUBLIC_HEALTH', 3);

@ObjectType({ description: 'Reference to an institution (resolved by the resources subgraph).' })
@Directive('@key(fields: "id", resolvable: false)')
export class Institution {
  @Field(() => ID)
  @Directive(classified('RESOURCES', 1))
  id!: string;
}

@ObjectType({ description: 'One administered vaccine dose (预防接种记录).' })
export class ImmunizationRecord {
  @Field(() => ID)
  @Directive(PUBLIC_HEALTH)
  id!: string;

  @Field(() => String, { nullable: true, description: 'National immunisation programme vaccine code (NIP-VACCINE 2021), e.g. 0101 乙肝疫苗.' })
  @Directive(PUBLIC_HEALTH)
  vaccineCode?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(PUBLIC_HEALTH)
  vaccineName?: string | null;

  @Field(() => Int, { nullable: true, description: 'Dose number in the series, 1 to 10.' })
  @Directive(PUBLIC_HEALTH)
  doseNumber?: number | null;

  @Field(() => String, { nullable: true })
  @Directive(PUBLIC_HEALTH)
  lotNumber?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(PUBLIC_HEALTH)
  manufacturer?: string | null;

  @Field(() => LocalDate, { nullable: true })
  @Directive(PUBLIC_HEALTH)
  administeredOn?: string | null;

  @Field(() => String, { nullable: true, description: 'Injection site, e.g. 左上臂三角肌.' })
  @Directive(PUBLIC_HEALTH)
  site?: string | null;

  @Field(() => String, { nullable: true, description: 'Route, e.g. 肌内注射, 皮下注射, 口服.' })
  @Directive(PUBLIC_HEALTH)
  route?: string | null;

  @Field(() => Institution, { nullable: true, description: 'The vaccination clinic (接种单位).' })
  @Directive(PUBLIC_HEALTH)
  institution?: Institution | null;

  @Field(() => String, { nullable: true, description: 'Sensitivity label: NONE, MENTAL_HEALTH, HIV_STI, REPRODUCTIVE, GENETIC.' })
  @Directive(PUBLIC_HEALTH)
  sensitivity?: string | null;

  @Field(() => Int, { nullable: true, description: 'Record level 1–5 (5: especially sensitive).' })
  @Directive(PUBLIC_HEALTH)
  level?: number | null;
}

@ObjectType({ description: 'A resident, extended with immunisation records.' })
@Directive('@key(fields: "id")')
export class Resident {
  @Field(() => ID)
  @Directive(classified('DEMOGRAPHICS', 3))
  id!: string;
}
