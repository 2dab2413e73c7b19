import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { classified } from '../../schema/classification.js';
import { LocalDate } from '../../schema/scalars.js';

const PUBLIC = classified('RESOURCES', 1);

@ObjectType({ description: 'A health institution (卫生资源): public information.' })
@Directive('@key(fields: "id")')
export class Institution {
  @Field(() => ID)
  @Directive(PUBLIC)
  id!: string;

  @Field(() => String)
  @Directive(PUBLIC)
  name!: string;

  @Field(() => String, { description: '医院等级, e.g. 三级甲等.' })
  @Directive(PUBLIC)
  grade!: string;

  @Field(() => String, { description: 'HOSPITAL, MATERNAL_CHILD, COMMUNITY_HEALTH_CENTER, CDC, …' })
  @Directive(PUBLIC)
  kind!: string;

  @Field(() => String, { description: 'GB/T 2260 district code.' })
  @Directive(PUBLIC)
  districtCode!: string;

  @Field(() => String)
  @Directive(PUBLIC)
  districtName!: string;

  @Field(() => String)
  @Directive(PUBLIC)
  address!: string;

  @Field(() => String, { description: '医疗机构执业许可证登记号.' })
  @Directive(PUBLIC)
  licenseNumber!: string;

  @Field(() => Boolean, { description: 'Carries the regional mutual-recognition (HR) mark.' })
  @Directive(PUBLIC)
  hrMark!: boolean;

  @Field(() => Boolean, { description: 'Passed the latest external quality assessment (室间质评).' })
  @Directive(PUBLIC)
  eqaPassed!: boolean;

  @Field(() => LocalDate, { nullable: true })
  @Directive(PUBLIC)
  eqaValidUntil?: string | null;
}

@ObjectType({ description: 'A practitioner of an institution.' })
@Directive('@key(fields: "id")')
export class Practitioner {
  @Field(() => ID)
  @Directive(PUBLIC)
  id!: string;

  @Field(() => String)
  @Directive(classified('RESOURCES', 2))
  name!: string;

  @Field(() => String, { description: '职称, e.g. 主任医师.' })
  @Directive(PUBLIC)
  title!: string;

  @Field(() => String)
  @Directive(PUBLIC)
  department!: string;

  @Field(() => Institution)
  @Directive(PUBLIC)
  institution!: Institution;
}
