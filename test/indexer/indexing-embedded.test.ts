import { indexingSuite } from './indexing-suite.js';

indexingSuite('embedded');
