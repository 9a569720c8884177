import { Body, Controller, Get, Inject, Put } from '@nestjs/common';
import { Clock } from './clock';
import { invalid } from './errors';
import { JsonLog } from './log';
import { body } from './validate';

@Controller('health')
export class HealthController {
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  ready() {
    return { status: 'ok' };
  }
}

/** The simulators' clock (code expiry, expiry dates, asOf): real time plus an adjustable offset. Not persisted. */
@Controller('admin/clock')
export class ClockController {
  constructor(
    @Inject(Clock) private readonly clock: Clock,
    @Inject(JsonLog) private readonly log: JsonLog,
  ) {}

  @Get()
  get() {
    return { now: this.clock.iso(), offsetMs: this.clock.offsetMs };
  }

  /** {offsetMs} sets the offset; {now: ISO time} moves the clock to that instant (it keeps running). */
  @Put()
  set(@Body() raw: unknown) {
    const b = body(raw);
    if (typeof b.now === 'string' && Number.isFinite(Date.parse(b.now))) {
      this.clock.offsetMs = Date.parse(b.now) - Date.now();
    } else if (typeof b.offsetMs === 'number' && Number.isSafeInteger(b.offsetMs)) {
      this.clock.offsetMs = b.offsetMs;
    } else {
      throw invalid('give offsetMs (integer) or now (ISO time)');
    }
    this.log.info('clock set', { offsetMs: this.clock.offsetMs });
    return this.get();
  }
}
