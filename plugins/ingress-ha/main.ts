import { main } from '../../shared/run.js';
import { plugin } from './cli.js';

void main(plugin);
