// Needs ELASTICSEARCH_URL (npm test starts a local node when it is unset); without it these tests fail.
import { switchSuite } from './switch-model-suite.js';

switchSuite('elasticsearch');
