import { switchSuite } from './switch-model-suite.js';

switchSuite('embedded');
