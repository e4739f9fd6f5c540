// electron-builder afterPack hook (electron-builder.yml): fuses, see fuses.cjs.
module.exports = require('./fuses.cjs').afterPack;
